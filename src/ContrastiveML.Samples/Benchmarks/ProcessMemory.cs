using System.Diagnostics;
using System.Globalization;

namespace ContrastiveML.Samples.Benchmarks;

/// <summary>This process's memory as the operating system reports it.</summary>
internal static class ProcessMemory
{
    /// <summary>This process's peak resident set (VmHWM in /proc/self/status) in bytes; the current working set where /proc is missing.</summary>
    public static long PeakResidentBytes()
    {
        const string path = "/proc/self/status";
        if (File.Exists(path))
        {
            foreach (string line in File.ReadLines(path))
            {
                if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                {
                    return 1024 * long.Parse(line["VmHWM:".Length..].Replace("kB", "", StringComparison.Ordinal).Trim(), CultureInfo.InvariantCulture);
                }
            }
        }
        using Process self = Process.GetCurrentProcess();
        return self.PeakWorkingSet64;
    }
}
