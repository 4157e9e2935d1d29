using System.Diagnostics;
using System.Globalization;
using ContrastiveML.Encoders;
using ContrastiveML.Training;
using Microsoft.ML;

namespace ContrastiveML.Samples.Benchmarks;

/// <summary>The bench's Memory section: the peak resident memory of a short Fit on 6,000 and on 60,000 images, each in a child process.</summary>
internal static class MemorySection
{
    /// <summary>Prefix of the line a memory child prints with its peak resident memory.</summary>
    private const string PeakLinePrefix = "peak-resident-bytes ";

    /// <summary>Peak resident memory of a short Fit on 6,000 and 60,000 images, each in a child process.</summary>
    public static void Run(BenchSettings settings, Dictionary<string, object?> figures, TextWriter output)
    {
        output.WriteLine();
        if (settings.Tiny)
        {
            figures["memory"] = new Dictionary<string, object?> { ["skipped"] = "tiny run (no Fashion-MNIST child processes)" };
            output.WriteLine("memory: skipped (tiny run)");
            return;
        }
        var memory = new Dictionary<string, object?> { ["steps"] = settings.MemorySteps, ["batchSize"] = 256, ["encoder"] = "CompactCnn" };
        var peaks = new List<Dictionary<string, object?>>();
        foreach (int rows in new[] { 6_000, 60_000 })
        {
            var clock = Stopwatch.StartNew();
            long peak = RunChild(rows, settings.MemorySteps, settings.DataDirectory);
            peaks.Add(new Dictionary<string, object?> { ["rows"] = rows, ["peakResidentBytes"] = peak, ["seconds"] = Math.Round(clock.Elapsed.TotalSeconds, 1) });
            output.WriteLine($"memory: Fit of {settings.MemorySteps} steps (batch 256, CompactCnn) on {rows,6} Fashion-MNIST images: peak resident {peak / 1048576.0:F0} MiB");
        }
        memory["runs"] = peaks;
        memory["ratio60kOver6k"] = Math.Round((double)(long)peaks[1]["peakResidentBytes"]! / (long)peaks[0]["peakResidentBytes"]!, 3);
        figures["memory"] = memory;
        output.WriteLine($"memory: 60,000 / 6,000 images peak ratio {memory["ratio60kOver6k"]:F2} (1.00 = flat with data size)");
    }

    /// <summary>The memory child: a short SimCLR Fit on the first <paramref name="rows"/> training images, then its peak resident memory.</summary>
    public static int Child(int rows, int steps, string dataDirectory, TextWriter output)
    {
        var ml = new MLContext(1);
        IDataView train = FashionMnist.Load(ml, train: true, dataDirectory, rows);
        ml.Transforms.SimClr(new SimClrOptions
        {
            InputColumnName = "Pixels", OutputColumnName = "Embedding", ImageShape = FashionMnist.Shape, Encoder = EncoderKind.CompactCnn,
            MaxSteps = steps, BatchSize = 256, Seed = 1, Device = TrainingDevice.Cpu,
        }).Fit(train);
        output.WriteLine(PeakLinePrefix + ProcessMemory.PeakResidentBytes().ToString(CultureInfo.InvariantCulture));
        return 0;
    }

    /// <summary>Runs this program as a memory child and returns the peak resident bytes it reports.</summary>
    private static long RunChild(int rows, int steps, string dataDirectory)
    {
        string text = BenchChildProcess.Run($"the memory measurement on {rows} images", "--memory-child-rows", rows.ToString(CultureInfo.InvariantCulture),
                               "--memory-child-steps", steps.ToString(CultureInfo.InvariantCulture), "--data", dataDirectory);
        string line = text.Split('\n').FirstOrDefault(l => l.StartsWith(PeakLinePrefix, StringComparison.Ordinal))
                      ?? throw new InvalidOperationException($"The memory measurement on {rows} images printed no '{PeakLinePrefix.Trim()}' line.");
        return long.Parse(line[PeakLinePrefix.Length..].Trim(), CultureInfo.InvariantCulture);
    }
}
