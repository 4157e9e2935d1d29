using ContrastiveML.Encoders;
using ContrastiveML.Training;
using Microsoft.ML;
using ContrastiveML.Methods.CommandLine;
using ContrastiveML.Methods.MoCo;
using ContrastiveML.Samples.Probing;

namespace ContrastiveML.Samples.Benchmarks;

/// <summary>
/// Training throughput of every method on every encoder: images/s, and the FLOP/s the step achieves as a fraction of
/// the same process's reference matmul. Each method is built by its estimator exactly as Fit builds it (the probe's
/// options: the same queue and bank sizes, views, heads and augmentation as the 15-minute runs) and stepped by the
/// loop Fit runs: read a batch, loss forward + backward, optimiser step and the method's after-step update.
/// </summary>
/// <remarks>
/// A step's FLOPs are counted on the layers that really ran in the first warm-up step (<see cref="LayerFlopRecorder"/>:
/// every Conv2d and Linear of the encoder, heads, key encoder or per-view encoders; 3x for work backward repeats, 1x for
/// no-grad work), so methods that run the encoder on one view, two views, or a key encoder besides are compared on
/// the work they do. Losses, BatchNorm, pooling and augmentation are not counted: a lower bound, as in the SimCLR table.
/// </remarks>
internal static class MethodsSection
{
    /// <summary>The methods, in the order of the probe table.</summary>
    internal static readonly string[] Methods = ContrastiveML.Methods.MethodRegistry.BuiltIn.Select(m => m.CliName).ToArray();

    private const int WarmupSteps = 2;

    /// <summary>The 60,000 rows of Fashion-MNIST's training split: the probe's data size, which sizes CMC's bank.</summary>
    private const int ProbeRows = 60_000;

    /// <summary>
    /// Times every method on every encoder of <paramref name="settings"/>, prints a table and returns the JSON rows. Each
    /// row's FLOP fraction is against a reference matmul measured just before and just after its own steps (the larger of
    /// the two): over the minutes this section runs, a shared machine's speed drifts, and against one reference taken at
    /// the start a later row can appear to reach 100% of the matmul rate.
    /// </summary>
    public static List<Dictionary<string, object?>> Run(BenchSettings settings, TextWriter output)
    {
        var rows = new List<Dictionary<string, object?>>();
        output.WriteLine();
        output.WriteLine($"training step per method (Fit's objects and loop: read, loss forward + backward, optimizer + after-step), batch {settings.BatchSize}, median of {settings.Repeats} steps:");
        output.WriteLine($"  {"method",-13} {"encoder",-15} {"img/s",8} {"train GFLOP/img",15} {"GFLOP/s",8} {"matmul",8} {"of matmul",9}   read / fwd+bwd / optimizer");
        foreach (EncoderKind kind in settings.Encoders.Distinct())
        {
            foreach (string method in Methods.Where(m => settings.Methods == null || settings.Methods.Contains(m)))
            {
                Dictionary<string, object?> row = Measure(method, kind, settings);
                rows.Add(row);
                var shares = (Dictionary<string, double>)row["stepShares"]!;
                output.WriteLine($"  {method,-13} {row["encoder"],-15} {row["imagesPerSecond"],8:F0} {(long)row["trainingFlopsPerImage"]! / 1e9,15:F3} " +
                                 $"{(double)row["achievedFlopsPerSecond"]! / 1e9,8:F2} {(double)row["referenceMatmulFlopsPerSecond"]! / 1e9,8:F1} {row["fractionOfMatmul"],9:P1}   " +
                                 $"{shares["read"]:P0} / {shares["forwardBackward"]:P0} / {shares["optimizer"]:P0}");
            }
        }
        return rows;
    }

    /// <summary>One method on one encoder: a setup as Fit makes it, two warm-up steps (the first counts the FLOPs), then the timed steps.</summary>
    private static Dictionary<string, object?> Measure(string methodName, EncoderKind kind, BenchSettings settings)
    {
        var ml = new MLContext(1);
        int batch = settings.BatchSize;
        ImageShape shape = settings.ShapeFor(kind);
        int rows = settings.Tiny ? batch * (WarmupSteps + settings.Repeats + 1) : ProbeRows;
        (IDataView data, string dataName) = kind == EncoderKind.CompactCnn && !settings.Tiny
            ? (FashionMnist.Load(ml, train: true, settings.DataDirectory), "Fashion-MNIST train (streamed, gzip)")
            : (BenchImages.LabelledSyntheticPixels(ml, shape, rows), "random pixels and labels (generated per row)");
        // The encoder's bench width; CMC's view encoders at half of it, as CMC's own default halves the encoder's.
        int width = settings.WidthFor(kind);
        if (methodName == "cmc") width = Math.Max(1, width / 2);
        var probe = new ProbeSettings
        {
            Method = methodName, Encoder = kind, Width = width, Pooling = settings.Tiny ? EmbeddingPooling.Global : EmbeddingPooling.Grid3x3,
            Epochs = 1, BatchSize = batch, Seed = 1, DataDirectory = settings.DataDirectory, Device = settings.Device,
            // Tiny runs have a few batches of data: a queue of one batch.
            MethodOptions = settings.Tiny ? new MethodCliValues().Set(MoCoCliOptions.QueueSize, batch) : MethodCliValues.None,
        };
        IEstimator<ContrastiveEncoderTransformer> estimator = ProbeEstimator.Create(ml, probe, options =>
        {
            options.ImageShape = shape;
            // A buffer of two batches, filled by the warm-up steps: the default 10,000 rows would cost every timed run
            // a long fill that Fit pays once per epoch.
            options.ShuffleBufferSize = 2 * batch;
        });
        using TrainingSetup setup = ((ITrainingSetupSource)estimator).PrepareTraining(data, seed: 1);
        IContrastiveMethod method = setup.Method;

        double matmulBefore = ReferenceMatmul.FlopsPerSecond(settings.MatmulSize, settings.Repeats, setup.Device);
        long trainingFlopsPerStep = 0, forwardWithGradient = 0, forwardWithoutGradient = 0;
        int layers = 0;
        // The first step counts FLOPs on the layers that ran (the hooks cost a little; it is not timed).
        TrainingStepTimings timings = TrainingStepTimings.Measure(setup, WarmupSteps, settings.Repeats, firstStep: run =>
        {
            using var recorder = new LayerFlopRecorder(method.Modules());
            run();
            if (recorder.SilentLayers > 0)
            {
                throw new InvalidOperationException($"{method.Name}: {recorder.SilentLayers} of {recorder.Layers} layers ran no forward hook in a training step; its FLOPs would be undercounted.");
            }
            trainingFlopsPerStep = recorder.TrainingFlops;
            forwardWithGradient = recorder.ForwardWithGradient;
            forwardWithoutGradient = recorder.ForwardWithoutGradient;
            layers = recorder.Layers;
        });
        double matmulAfter = ReferenceMatmul.FlopsPerSecond(settings.MatmulSize, settings.Repeats, setup.Device);
        double matmulFlops = Math.Max(matmulBefore, matmulAfter);

        // This table's forward + backward includes making the views, as it always has.
        List<double> read = timings.Read, step = timings.Optimizer, total = timings.Total;
        List<double> forwardBackward = timings.Views.Zip(timings.ForwardBackward, (v, f) => v + f).ToList();
        double imagesPerSecond = setup.BatchSize / BenchStatistics.Median(total);
        double achieved = trainingFlopsPerStep / BenchStatistics.Median(total);
        double partsSum = read.Sum() + forwardBackward.Sum() + step.Sum();
        return new Dictionary<string, object?>
        {
            ["method"] = methodName,
            ["methodName"] = method.Name,
            ["encoder"] = setup.Encoder is Methods.Cmc.CmcEncoder views
                ? $"{kind} {views.ViewCount}x w{views.ViewEncoder(0).BaseWidth}"
                : $"{kind} w{setup.Encoder.BaseWidth}",
            ["input"] = $"{shape.Channels}x{shape.Height}x{shape.Width}",
            ["data"] = dataName,
            ["rows"] = setup.Statistics.RowCount,
            ["batchSize"] = setup.BatchSize,
            ["timedSteps"] = settings.Repeats,
            ["warmupSteps"] = WarmupSteps,
            ["options"] = MethodSettings(method),
            ["imagesPerSecond"] = Math.Round(imagesPerSecond, 1),
            ["countedLayers"] = layers,
            ["forwardFlopsWithGradientPerStep"] = forwardWithGradient,
            ["forwardFlopsWithoutGradientPerStep"] = forwardWithoutGradient,
            ["trainingFlopsPerImage"] = trainingFlopsPerStep / setup.BatchSize,
            ["achievedFlopsPerSecond"] = Math.Round(achieved),
            ["referenceMatmulFlopsPerSecond"] = Math.Round(matmulFlops),
            ["referenceMatmulBeforeAndAfter"] = new[] { Math.Round(matmulBefore), Math.Round(matmulAfter) },
            ["fractionOfMatmul"] = Math.Round(achieved / matmulFlops, 4),
            ["stepMedianMilliseconds"] = new Dictionary<string, double>
            {
                ["read"] = Math.Round(1000 * BenchStatistics.Median(read), 3),
                ["forwardBackward"] = Math.Round(1000 * BenchStatistics.Median(forwardBackward), 3),
                ["optimizer"] = Math.Round(1000 * BenchStatistics.Median(step), 3),
                ["total"] = Math.Round(1000 * BenchStatistics.Median(total), 3),
            },
            ["stepShares"] = new Dictionary<string, double>
            {
                ["read"] = Math.Round(read.Sum() / partsSum, 4),
                ["forwardBackward"] = Math.Round(forwardBackward.Sum() / partsSum, 4),
                ["optimizer"] = Math.Round(step.Sum() / partsSum, 4),
            },
        };
    }

    /// <summary>The method's own settings that change a step's cost (queue and bank sizes, views), as its checkpoint fingerprint records them.</summary>
    private static Dictionary<string, string> MethodSettings(IContrastiveMethod method) =>
        method.CheckpointFingerprint().ToDictionary(p => p.Key, p => p.Value);
}
