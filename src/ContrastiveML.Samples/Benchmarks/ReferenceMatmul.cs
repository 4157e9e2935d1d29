using System.Diagnostics;
using TorchSharp;
using static TorchSharp.torch;

namespace ContrastiveML.Samples.Benchmarks;

/// <summary>The reference the training FLOP/s are compared with: a float32 matmul on the same device.</summary>
internal static class ReferenceMatmul
{
    /// <summary>Median FLOP/s of an n x n float32 matmul (2n^3 FLOPs), after one untimed run.</summary>
    public static double FlopsPerSecond(int n, int repeats, Device device)
    {
        using var a = randn(n, n, device: device);
        using var b = randn(n, n, device: device);
        var seconds = new List<double>();
        for (int i = 0; i <= repeats; i++)
        {
            using var scope = NewDisposeScope();
            long start = Stopwatch.GetTimestamp();
            a.mm(b);
            Synchronize(device);
            if (i > 0) seconds.Add(Stopwatch.GetElapsedTime(start).TotalSeconds);
        }
        return 2.0 * n * n * n / BenchStatistics.Median(seconds);
    }

    private static void Synchronize(Device device)
    {
        if (device.type == DeviceType.CUDA) cuda.synchronize();
    }
}
