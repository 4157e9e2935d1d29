using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;

namespace ContrastiveML.NativeKernels;

/// <summary>What the CPU reports about itself that decides how far libtorch's native kernels can be trusted.</summary>
/// <param name="Model">The CPU's model name, for messages ("unknown" where the OS does not say).</param>
/// <param name="IsX86">Whether the process runs on x86-64 (oneDNN's ISA cap and this check's decisions are about x86 kernels).</param>
/// <param name="ReportsAvx512">Whether the CPU reports AVX-512 Foundation (avx512f).</param>
/// <param name="ReportsCacheTopology">Whether the OS reports the CPU's caches (on Linux, /sys/devices/system/cpu/cpu0/cache/index*).</param>
public sealed record CpuFacts(string Model, bool IsX86, bool ReportsAvx512, bool ReportsCacheTopology)
{
    /// <summary>The facts of this machine.</summary>
    public static CpuFacts Read()
    {
        bool x86 = RuntimeInformation.ProcessArchitecture == Architecture.X64;
        if (!OperatingSystem.IsLinux())
        {
            // Outside Linux the OS reports caches through its own APIs, which oneDNN reads; only the ISA is looked at.
            return new CpuFacts("unknown", x86, x86 && Avx512F.IsSupported, ReportsCacheTopology: true);
        }
        return FromLinux(SafeRead("/proc/cpuinfo"), Directory.Exists("/sys/devices/system/cpu/cpu0/cache")
            && Directory.EnumerateDirectories("/sys/devices/system/cpu/cpu0/cache", "index*").Any(), x86);
    }

    /// <summary>Reads the facts from the text of /proc/cpuinfo and whether sysfs lists cpu0's caches.</summary>
    internal static CpuFacts FromLinux(string cpuinfo, bool cacheDirectoryListed, bool isX86)
    {
        string Field(string name) => cpuinfo.Split('\n')
            .Where(line => line.StartsWith(name, StringComparison.Ordinal) && line.Contains(':'))
            .Select(line => line[(line.IndexOf(':') + 1)..].Trim()).FirstOrDefault() ?? "";
        string model = Field("model name");
        var flags = Field("flags").Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return new CpuFacts(model.Length > 0 ? model : "unknown", isX86, flags.Contains("avx512f"), cacheDirectoryListed);
    }

    /// <summary>For messages: the model and the two facts.</summary>
    public override string ToString() =>
        $"{Model}{(IsX86 ? "" : " (not x86-64)")}, {(ReportsAvx512 ? "reports AVX-512" : "no AVX-512")}, " +
        $"{(ReportsCacheTopology ? "reports its cache topology" : "reports no cache topology")}";

    private static string SafeRead(string path)
    {
        try { return File.ReadAllText(path); }
        catch (IOException) { return ""; }
        catch (UnauthorizedAccessException) { return ""; }
    }
}
