using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;
using ContrastiveML.Samples;
using ContrastiveML.Training;

namespace ContrastiveML.Tests;

/// <summary>
/// The command line (<c>contrastiveml pretrain</c>) as a child process, stopped in the middle of training and started
/// again with the same options: killed with SIGKILL it resumes from the last periodic checkpoint; interrupted with
/// Ctrl+C (SIGINT) it checkpoints the step it stopped at, exits with 130 and says how to resume. Either way the resumed
/// run ends with exactly the encoder of an uninterrupted run: the ONNX files are byte-identical (tolerance 0 on every
/// weight, hence on every embedding), as the in-process <see cref="CheckpointTests"/> found; nothing of a run's state
/// lives only in the process (the data order is derived from the seed and the epoch, the rest is in the checkpoint).
/// </summary>
/// <remarks>
/// The child is the built CLI next to this test assembly (the test project references it), run with the same dotnet
/// host as the tests, so the test works on a fresh clone after <c>dotnet test</c> builds. Tiny run: the first 512
/// Fashion-MNIST training images, a width-4 encoder, batches of 32 (16 steps an epoch), 100 steps, a checkpoint every
/// 10 steps. The kill lands once the child has checkpointed step 20 or later; the checkpoint it leaves must be short
/// of the last step, or the test did not interrupt training and says so. Linux: signals are sent with libc's kill.
/// In the ProcessMeasurements collection so that no other test's CPU load competes with the children more than needed.
/// </remarks>
[Collection(nameof(ProcessMeasurements))]
public sealed class ProcessKillTests : IDisposable
{
    private const int Steps = 100;
    private const int CheckpointEvery = 10;
    private const int InterruptAfterStep = 20;
    private const int SigInt = 2, SigKill = 9, SigTerm = 15;
    private static readonly TimeSpan RunTimeout = TimeSpan.FromMinutes(5);

    private readonly string _directory = Directory.CreateTempSubdirectory("contrastiveml-kill-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int SendSignal(int pid, int signal);

    /// <summary>A running or finished child CLI with its captured output.</summary>
    private sealed class Child : IDisposable
    {
        private readonly StringBuilder _output = new(), _error = new();

        public Child(IEnumerable<string> arguments)
        {
            var info = new ProcessStartInfo(DotnetHost())
            {
                UseShellExecute = false,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "contrastiveml.dll"));
            foreach (string argument in arguments) info.ArgumentList.Add(argument);
            Process = new Process { StartInfo = info };
            Process.OutputDataReceived += (_, e) => { lock (_output) _output.AppendLine(e.Data); };
            Process.ErrorDataReceived += (_, e) => { lock (_error) _error.AppendLine(e.Data); };
            Process.Start();
            Process.BeginOutputReadLine();
            Process.BeginErrorReadLine();
        }

        public Process Process { get; }

        public string Output { get { lock (_output) return _output.ToString(); } }

        public string Error { get { lock (_error) return _error.ToString(); } }

        public string Describe() => $"exit code {(Process.HasExited ? Process.ExitCode : "none yet")}\nstdout:\n{Output}\nstderr:\n{Error}";

        /// <summary>Waits for the exit (and the end of the redirected streams); fails the test on a hang.</summary>
        public int WaitForExit()
        {
            if (!Process.WaitForExit(RunTimeout))
            {
                Process.Kill(entireProcessTree: true);
                Assert.Fail($"the CLI did not finish within {RunTimeout}: {Describe()}");
            }
            Process.WaitForExit(); // drains the output events
            return Process.ExitCode;
        }

        public void Dispose()
        {
            if (!Process.HasExited) Process.Kill(entireProcessTree: true);
            Process.Dispose();
        }
    }

    /// <summary>The dotnet host running these tests (the SDK sets DOTNET_HOST_PATH for test runs), else the one on PATH.</summary>
    private static string DotnetHost()
    {
        if (Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host)) return host;
        if (Environment.ProcessPath is string self && Path.GetFileNameWithoutExtension(self) == "dotnet") return self;
        return "dotnet";
    }

    private string[] Pretrain(string name, string? checkpoints) => new[]
    {
        "pretrain", "--idx", FashionMnist.DefaultDirectory, "--limit", "512", "--width", "4", "--batch-size", "32",
        "--max-steps", Steps.ToString(), "--epochs", "1000", "--seed", "5", "--device", "cpu",
        "--out", Path.Combine(_directory, name + ".zip"), "--onnx", Path.Combine(_directory, name + ".onnx"),
    }.Concat(checkpoints == null ? Array.Empty<string>() : new[] { "--checkpoint-dir", checkpoints, "--checkpoint-every", CheckpointEvery.ToString() }).ToArray();

    private byte[] Onnx(string name) => File.ReadAllBytes(Path.Combine(_directory, name + ".onnx"));

    /// <summary>Runs the CLI to the end and returns its standard output; fails the test on a non-zero exit.</summary>
    private static string RunToEnd(string[] arguments)
    {
        using var child = new Child(arguments);
        int code = child.WaitForExit();
        Assert.True(code == 0, child.Describe());
        return child.Output;
    }

    /// <summary>Waits until the child has checkpointed step <see cref="InterruptAfterStep"/> or later.</summary>
    private static void WaitForCheckpoint(Child child, string checkpoint)
    {
        var clock = Stopwatch.StartNew();
        while (!(File.Exists(checkpoint) && TrainingCheckpoint.Read(checkpoint).Step >= InterruptAfterStep))
        {
            Assert.False(child.Process.HasExited, $"the CLI ended before checkpointing step {InterruptAfterStep}: {child.Describe()}");
            Assert.True(clock.Elapsed < RunTimeout, $"no checkpoint of step {InterruptAfterStep} within {RunTimeout}: {child.Describe()}");
            Thread.Sleep(10);
        }
    }

    /// <summary>Whether <paramref name="signal"/> is ignored by process <paramref name="pid"/> (SigIgn in /proc/PID/status).</summary>
    private static bool Ignores(int pid, int signal)
    {
        string line = File.ReadLines($"/proc/{pid}/status").First(l => l.StartsWith("SigIgn:", StringComparison.Ordinal));
        ulong mask = Convert.ToUInt64(line["SigIgn:".Length..].Trim(), 16);
        return (mask & (1UL << (signal - 1))) != 0;
    }

    [Fact]
    public void TheCliKilledWithSigkillOrInterruptedWithCtrlCResumesToTheEncoderOfAnUninterruptedRun()
    {
        Assert.True(OperatingSystem.IsLinux(), "this test sends POSIX signals and reads /proc");
        string referenceOutput = RunToEnd(Pretrain("reference", checkpoints: null));
        Assert.Contains($"pretrained: {Steps} steps", referenceOutput);
        byte[] reference = Onnx("reference");

        // SIGKILL: nothing runs in the child after the signal; the steps after the last periodic checkpoint are lost.
        string killedCheckpoints = Path.Combine(_directory, "killed-checkpoints");
        string killedCheckpoint = Path.Combine(killedCheckpoints, TrainingCheckpoint.FileName);
        using (var child = new Child(Pretrain("killed", killedCheckpoints)))
        {
            WaitForCheckpoint(child, killedCheckpoint);
            Thread.Sleep(50); // let a few more steps run, so the kill lands between two checkpoints
            // Process.Kill sends SIGKILL on Unix; the exit code, 128 + 9, shows that it did.
            child.Process.Kill(entireProcessTree: true);
            Assert.Equal(128 + SigKill, child.WaitForExit());
        }
        long killedAt = TrainingCheckpoint.Read(killedCheckpoint).Step;
        Assert.True(killedAt >= InterruptAfterStep && killedAt < Steps && killedAt % CheckpointEvery == 0,
                    $"the kill should land mid-training, after a periodic checkpoint; the checkpoint holds step {killedAt} of {Steps}");
        Assert.False(File.Exists(Path.Combine(_directory, "killed.zip")));
        Assert.Equal(new[] { killedCheckpoint }, Directory.GetFiles(killedCheckpoints)); // no temporary file left by the kill

        string resumedOutput = RunToEnd(Pretrain("killed", killedCheckpoints));
        Assert.Contains($"resumed from the checkpoint in '{killedCheckpoints}' at step {killedAt}", resumedOutput);
        Assert.Contains($"pretrained: {Steps} steps", resumedOutput); // the report covers the whole run
        Assert.Equal(reference, Onnx("killed"));

        // Ctrl+C: the child stops after the step in flight, checkpoints it, says how to resume and exits with 130.
        // A process started in the background by a non-interactive shell ignores SIGINT (POSIX job control), and so
        // does everything it starts; then SIGTERM, which the CLI handles the same way, stands in for it.
        string interruptedCheckpoints = Path.Combine(_directory, "interrupted-checkpoints");
        string interruptedCheckpoint = Path.Combine(interruptedCheckpoints, TrainingCheckpoint.FileName);
        string interruptError;
        using (var child = new Child(Pretrain("interrupted", interruptedCheckpoints)))
        {
            WaitForCheckpoint(child, interruptedCheckpoint);
            int signal = Ignores(child.Process.Id, SigInt) ? SigTerm : SigInt;
            Assert.Equal(0, SendSignal(child.Process.Id, signal));
            Assert.Equal(ConsoleInterrupt.ExitCode, child.WaitForExit());
            interruptError = child.Error;
            Assert.Contains(signal == SigInt ? "Ctrl+C: stopping after the current training step" : "SIGTERM: stopping", interruptError);
        }
        long interruptedAt = TrainingCheckpoint.Read(interruptedCheckpoint).Step;
        Assert.True(interruptedAt >= InterruptAfterStep && interruptedAt < Steps, $"the interrupt should land mid-training; it stopped at step {interruptedAt}");
        Assert.Contains($"interrupted after training step {interruptedAt} of {Steps}; the checkpoint '{interruptedCheckpoint}' holds that step", interruptError);
        Assert.Contains($"Run the same command again (same options, --checkpoint-dir {interruptedCheckpoints}) to resume", interruptError);
        Assert.False(File.Exists(Path.Combine(_directory, "interrupted.zip")));

        resumedOutput = RunToEnd(Pretrain("interrupted", interruptedCheckpoints));
        Assert.Contains($"resumed from the checkpoint in '{interruptedCheckpoints}' at step {interruptedAt}", resumedOutput);
        Assert.Contains($"pretrained: {Steps} steps", resumedOutput);
        Assert.Equal(reference, Onnx("interrupted"));
    }
}
