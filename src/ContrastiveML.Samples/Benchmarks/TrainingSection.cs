using ContrastiveML.Encoders;
using ContrastiveML.Training;
using Microsoft.ML;

namespace ContrastiveML.Samples.Benchmarks;

/// <summary>The bench's Training section: SimCLR training throughput per encoder, its FLOP/s against the reference matmul, and the parts of a step.</summary>
internal static class TrainingSection
{
    /// <summary>SimCLR training throughput and the parts of a step per encoder.</summary>
    public static void Run(BenchSettings settings, double matmul, Dictionary<string, object?> figures, TextWriter output)
    {
        var training = new List<Dictionary<string, object?>>();
        output.WriteLine();
        output.WriteLine("SimCLR training step (2 views; views + forward + backward + AdamW step), median over steps:");
        output.WriteLine($"  {"encoder",-22} {"input",-8} {"batch",5} {"img/s",9} {"fwd MFLOP/img",13} {"GFLOP/s",8} {"of matmul",9}   read / views / fwd+bwd / optimizer");
        foreach (EncoderKind kind in settings.Encoders.Distinct())
        {
            Dictionary<string, object?> result = TrainingStep(kind, settings, matmul);
            training.Add(result);
            var shares = (Dictionary<string, double>)result["stepShares"]!;
            output.WriteLine($"  {result["encoder"],-22} {result["input"],-8} {settings.BatchSize,5} {result["imagesPerSecond"],9:F0} " +
                             $"{(long)result["forwardFlopsPerView"]! / 1e6,13:F1} {(double)result["achievedFlopsPerSecond"]! / 1e9,8:F2} {result["fractionOfMatmul"],9:P1}   " +
                             $"{shares["read"]:P0} / {shares["views"]:P0} / {shares["forwardBackward"]:P0} / {shares["optimizer"]:P0}");
        }
        figures["training"] = training;
        figures["trainingFlopsNote"] = "achieved FLOP/s = 3 x forward FLOPs per view (Conv2d and Linear layers of the encoder, counted by FlopCounter) x 2 views x images/s; " +
                                       "the projection head, the loss, BatchNorm/ReLU/pooling and the view augmentation are not counted, so this is a lower bound on the work done";
        figures["stepNote"] = "read = PixelBatchReader batch + copy into a tensor; views = two ViewAugmenter views; forwardBackward = normalise, encoder, head, NT-Xent, backward; " +
                              "optimizer = AdamW step. Timestamps around each part (CUDA synchronised when used)";
    }

    /// <summary>One encoder's SimCLR step: images/s, achieved FLOP/s and the median time of each part of a step.</summary>
    private static Dictionary<string, object?> TrainingStep(EncoderKind kind, BenchSettings settings, double matmulFlops)
    {
        var ml = new MLContext(1);
        int warmup = 2, steps = settings.Repeats;
        int batch = settings.BatchSize;
        ImageShape shape = settings.ShapeFor(kind);
        // Rows for every step in one epoch, so no timed step restarts the cursor and refills the shuffle buffer.
        (IDataView data, string dataName) = BenchImages.For(kind, settings, ml, shape, batch * (warmup + steps + 1));
        // The SimCLR defaults, built as Fit builds them.
        var estimator = ml.Transforms.SimClr(new SimClrOptions
        {
            InputColumnName = "Pixels", OutputColumnName = "Embedding", ImageShape = shape, Encoder = kind, EncoderWidth = settings.WidthFor(kind),
            BatchSize = batch, Seed = 1, Device = settings.Device,
            // A small shuffle buffer (filled during the warm-up steps): an epoch here is a few batches, and the default
            // 10,000-row buffer would be all of it. Per batch, reading then costs what it costs in steady-state training.
            ShuffleBufferSize = 2 * batch,
        });
        using TrainingSetup setup = ((ITrainingSetupSource)estimator).PrepareTraining(data, seed: 1);
        long forwardFlops = FlopCounter.CountForward(setup.Encoder);
        TrainingStepTimings timings = TrainingStepTimings.Measure(setup, warmup, steps);
        List<double> read = timings.Read, views = timings.Views, forwardBackward = timings.ForwardBackward, step = timings.Optimizer, total = timings.Total;

        double imagesPerSecond = batch / BenchStatistics.Median(total);
        double achieved = 3.0 * forwardFlops * 2 * imagesPerSecond;
        double partsSum = read.Sum() + views.Sum() + forwardBackward.Sum() + step.Sum();
        return new Dictionary<string, object?>
        {
            ["encoder"] = $"{kind} w{setup.Encoder.BaseWidth}",
            ["input"] = $"{shape.Channels}x{shape.Height}x{shape.Width}",
            ["data"] = dataName,
            ["batchSize"] = batch,
            ["views"] = 2,
            ["timedSteps"] = steps,
            ["warmupSteps"] = warmup,
            ["imagesPerSecond"] = Math.Round(imagesPerSecond, 1),
            ["forwardFlopsPerView"] = forwardFlops,
            ["achievedFlopsPerSecond"] = Math.Round(achieved),
            ["fractionOfMatmul"] = Math.Round(achieved / matmulFlops, 4),
            ["stepMedianMilliseconds"] = new Dictionary<string, double>
            {
                ["read"] = Math.Round(1000 * BenchStatistics.Median(read), 3),
                ["views"] = Math.Round(1000 * BenchStatistics.Median(views), 3),
                ["forwardBackward"] = Math.Round(1000 * BenchStatistics.Median(forwardBackward), 3),
                ["optimizer"] = Math.Round(1000 * BenchStatistics.Median(step), 3),
                ["total"] = Math.Round(1000 * BenchStatistics.Median(total), 3),
            },
            // Shares of the summed time of the timed steps (they add up to 1).
            ["stepShares"] = new Dictionary<string, double>
            {
                ["read"] = Math.Round(read.Sum() / partsSum, 4),
                ["views"] = Math.Round(views.Sum() / partsSum, 4),
                ["forwardBackward"] = Math.Round(forwardBackward.Sum() / partsSum, 4),
                ["optimizer"] = Math.Round(step.Sum() / partsSum, 4),
            },
        };
    }
}
