using System.Diagnostics;
using System.Globalization;
using ContrastiveML.Encoders;
using ContrastiveML.Training;
using Microsoft.ML;
using TorchSharp;

namespace ContrastiveML.Samples.Benchmarks;

/// <summary>
/// The bench's leak check: resident memory and live TorchSharp tensors after 50 and after 500 SimCLR training steps
/// of one Fit on Fashion-MNIST, in a child process. A native leak of one batch's activations per step would grow
/// the resident set by hundreds of MiB over 450 steps; warm-up (allocator pools, JIT tiering) grows it by a few MiB.
/// NativeMemoryTests makes the same check in the test suite on tiny settings.
/// </summary>
internal static class ResidencySection
{
    private const string LinePrefix = "residency ";
    private static readonly long[] Checkpoints = { 50, 500 };

    /// <summary>Encoder width and batch of the measured Fit: the CLI defaults, or a narrow encoder for --quick.</summary>
    private static (int Width, int BatchSize) Size(bool quick) => quick ? (8, 16) : (CompactCnnEncoder.DefaultWidth, 32);

    /// <summary>Runs the child, prints and returns the figures.</summary>
    public static Dictionary<string, object?> Run(bool quick, string dataDirectory, TextWriter output)
    {
        var clock = Stopwatch.StartNew();
        var arguments = new List<string> { "--residency-child", "--data", dataDirectory };
        if (quick) arguments.Add("--quick");
        string text = BenchChildProcess.Run("the resident-memory measurement", arguments.ToArray());
        string line = text.Split('\n').FirstOrDefault(l => l.StartsWith(LinePrefix, StringComparison.Ordinal))
                      ?? throw new InvalidOperationException($"The resident-memory measurement printed no '{LinePrefix.Trim()}' line.");
        long[] values = line[LinePrefix.Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(v => long.Parse(v, CultureInfo.InvariantCulture)).ToArray();
        (long resident50, long resident500, long tensors50, long tensors500) = (values[0], values[1], values[2], values[3]);
        (int width, int batch) = Size(quick);
        var figures = new Dictionary<string, object?>
        {
            ["method"] = "SimCLR",
            ["encoder"] = $"CompactCnn w{width}",
            ["batchSize"] = batch,
            ["data"] = "Fashion-MNIST train, first 6,000 images (several epochs)",
            ["residentBytesAfter50Steps"] = resident50,
            ["residentBytesAfter500Steps"] = resident500,
            ["growthBytes"] = resident500 - resident50,
            ["ratio500Over50"] = Math.Round((double)resident500 / resident50, 3),
            ["liveTensorsAfter50Steps"] = tensors50,
            ["liveTensorsAfter500Steps"] = tensors500,
            ["seconds"] = Math.Round(clock.Elapsed.TotalSeconds, 1),
            ["note"] = "resident = VmRSS after a full garbage collection, measured on the training thread at the step's progress report",
        };
        output.WriteLine($"residency: SimCLR CompactCnn w{width}, batch {batch}: resident {resident50 / 1048576.0:F0} MiB after 50 steps, " +
                         $"{resident500 / 1048576.0:F0} MiB after 500 (growth {(resident500 - resident50) / 1048576.0:F1} MiB); " +
                         $"live tensors {tensors50} and {tensors500}");
        return figures;
    }

    /// <summary>The child: a 500-step Fit that prints resident bytes and live tensors at steps 50 and 500.</summary>
    public static int Child(bool quick, string dataDirectory, TextWriter output)
    {
        var ml = new MLContext(1);
        (int width, int batch) = Size(quick);
        var resident = new Dictionary<long, long>();
        var tensors = new Dictionary<long, long>();
        var options = new SimClrOptions
        {
            InputColumnName = "Pixels", OutputColumnName = "Embedding", ImageShape = FashionMnist.Shape, Encoder = EncoderKind.CompactCnn,
            EncoderWidth = width, BatchSize = batch, Epochs = 1000, MaxSteps = (int)Checkpoints[^1], Seed = 1, Device = TrainingDevice.Cpu,
            ProgressIntervalSeconds = 1e-6, // a report after every step
            Progress = new StepProbe(step =>
            {
                if (!Checkpoints.Contains(step)) return;
                resident[step] = ResidentBytes();
                tensors[step] = DisposeScopeManager.Statistics.TensorStatistics.ThreadTotalLiveCount;
            }),
        };
        ml.Transforms.SimClr(options).Fit(FashionMnist.Load(ml, train: true, dataDirectory, 6_000));
        if (resident.Count != Checkpoints.Length) throw new InvalidOperationException($"The Fit stopped before step {Checkpoints[^1]}.");
        output.WriteLine(LinePrefix + string.Join(' ', new[] { resident[50], resident[500], tensors[50], tensors[500] }.Select(v => v.ToString(CultureInfo.InvariantCulture))));
        return 0;
    }

    /// <summary>This process's resident set after a full collection (managed garbage would otherwise count as growth).</summary>
    private static long ResidentBytes()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        using Process self = Process.GetCurrentProcess();
        return self.WorkingSet64;
    }

    /// <summary>Calls back on the training thread at every report (System.Progress would post to the thread pool, too late).</summary>
    private sealed class StepProbe : IProgress<TrainingProgress>
    {
        private readonly Action<long> _onStep;
        public StepProbe(Action<long> onStep) => _onStep = onStep;
        public void Report(TrainingProgress value) => _onStep(value.Step);
    }
}
