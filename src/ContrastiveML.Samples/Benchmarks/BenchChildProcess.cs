using System.Diagnostics;

namespace ContrastiveML.Samples.Benchmarks;

/// <summary>Measurements that need a process of their own: this program's <c>bench</c>, started again with hidden arguments.</summary>
internal static class BenchChildProcess
{
    /// <summary>
    /// Runs this program's <c>bench</c> with <paramref name="arguments"/> in a child process (its own heap and
    /// allocator, so one measurement's memory does not mix with another's) and returns its standard output.
    /// </summary>
    public static string Run(string description, params string[] arguments)
    {
        string processPath = Environment.ProcessPath ?? throw new InvalidOperationException($"Cannot find this program's path to start {description}.");
        var start = new ProcessStartInfo(processPath) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        // Under `dotnet contrastiveml.dll`, the process is the dotnet host: pass the assembly first.
        if (Path.GetFileNameWithoutExtension(processPath) == "dotnet") start.ArgumentList.Add(typeof(BenchChildProcess).Assembly.Location);
        start.ArgumentList.Add("bench");
        foreach (string argument in arguments) start.ArgumentList.Add(argument);
        using Process child = Process.Start(start) ?? throw new InvalidOperationException($"Could not start '{processPath}' for {description}.");
        Task<string> error = child.StandardError.ReadToEndAsync();
        string text = child.StandardOutput.ReadToEnd();
        child.WaitForExit();
        if (child.ExitCode != 0) throw new InvalidOperationException($"{description} failed (exit {child.ExitCode}): {error.Result.Trim()}");
        return text;
    }
}
