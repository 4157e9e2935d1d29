using System.Globalization;
using ContrastiveML.NativeKernels;
using TorchSharp;
using static TorchSharp.torch;

namespace ContrastiveML.Samples.Benchmarks;

/// <summary>What the bench records about the machine: CPU, kernels, threads, device and load.</summary>
internal static class MachineFacts
{
    public static Dictionary<string, object?> Describe(Device device, CpuKernelStatus kernels) => new()
    {
        // Which kernels produced the timings: oneDNN's instruction set (or oneDNN off) after the CPU kernel check.
        ["oneDnnIsa"] = kernels.OneDnnEnabled ? kernels.OneDnnIsa : "off (ATen kernels)",
        ["cpuKernelCheck"] = kernels.Check.ToString(),
        ["processorCount"] = Environment.ProcessorCount,
        ["cpuModel"] = kernels.Facts.Model,
        ["libtorchThreads"] = get_num_threads(),
        ["device"] = device.type.ToString(),
        ["os"] = System.Runtime.InteropServices.RuntimeInformation.OSDescription,
        ["loadAverage"] = File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Trim() : null,
    };

    /// <summary>The 1-minute load average from <paramref name="loadavg"/> (the text of /proc/loadavg; read now when null), or null where there is none.</summary>
    public static double? LoadAverage(string? loadavg = null)
    {
        loadavg ??= File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg") : null;
        string? first = loadavg?.Split(' ', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault();
        return double.TryParse(first, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) ? value : null;
    }
}
