using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using ContrastiveML.Encoders;
using ContrastiveML.Methods;
using ContrastiveML.Samples.Plots;
using ContrastiveML.Training;
using Microsoft.ML;

namespace ContrastiveML.Samples;

/// <summary>
/// <c>probe</c>: pretrain on the Fashion-MNIST training images without labels, then linear-probe: fit an ML.NET
/// multinomial logistic regression (L-BFGS) on the embeddings of the training images and report test accuracy,
/// beside the same trainer on raw pixels and on the embeddings of the same encoder left at random initialisation.
/// </summary>
internal static class ProbeCommand
{
    public static Command Create()
    {
        var method = new Option<string>("--method") { Description = "Pretraining method: simclr (no labels), supcon (supervised contrastive, uses the training labels), moco (MoCo v2, no labels), densecl (DenseCL: MoCo v2 plus a dense loss, no labels), cmc (contrastive multiview coding over low/high frequency bands, no labels), metric (triplet or contrastive margin loss, uses the training labels unless --no-labels) or crossentropy (supervised cross-entropy with a linear head: the reference).", DefaultValueFactory = _ => "simclr" };
        method.AcceptOnlyFromAmong(MethodRegistry.BuiltIn.Select(m => m.CliName).ToArray());
        // contrastive by default here: on 10,000 images and 2 epochs it probed 87.90% against the triplet loss's 86.75%
        // (docs/methods/metric.md); the library's default stays FaceNet's triplet loss.
        var metricLoss = new Option<string>("--metric-loss") { Description = "metric only: contrastive (Hadsell et al. pair loss) or triplet (FaceNet margin loss).", DefaultValueFactory = _ => "contrastive" };
        metricLoss.AcceptOnlyFromAmong("triplet", "contrastive");
        var miner = new Option<string?>("--miner") { Description = "metric only: which triplets (all, hard, semi-hard) or pairs (all, hard = batch hard) enter the loss (default: semi-hard for triplet, all for contrastive)." };
        miner.AcceptOnlyFromAmong("all", "hard", "semi-hard", "easy");
        var noLabels = new Option<bool>("--no-labels") { Description = "metric only: learn without labels, the two views of each image being the positive pair." };
        var encoder = new Option<EncoderKind>("--encoder") { Description = "Encoder backbone.", DefaultValueFactory = _ => EncoderKind.CompactCnn };
        var width = new Option<int>("--width") { Description = "Encoder width; 0 = the encoder's default.", DefaultValueFactory = _ => 0 };
        // Grid3x3 by default here: on 28x28 Fashion-MNIST a linear probe gains about 4 points from the layout that global
        // pooling throws away (same budget; see docs/methods/simclr.md). The library's own default stays Global.
        var pooling = new Option<EmbeddingPooling>("--pooling") { Description = "Embedding pooling of the last feature map.", DefaultValueFactory = _ => EmbeddingPooling.Grid3x3 };
        var epochs = new Option<int>("--epochs") { Description = "Pretraining epochs (the time budget may end training first).", DefaultValueFactory = _ => 30 };
        var minutes = new Option<double?>("--minutes") { Description = "Pretraining time budget in minutes." };
        var batchSize = new Option<int>("--batch-size") { Description = "Images per batch.", DefaultValueFactory = _ => 256 };
        var learningRate = new Option<double?>("--lr") { Description = "Peak learning rate (default: the estimator's)." };
        var temperature = new Option<double?>("--temperature") { Description = "Loss temperature, NT-Xent for simclr, SupCon for supcon, InfoNCE for moco and densecl, the critic for cmc (default: the estimator's)." };
        var keyMomentum = new Option<double>("--key-momentum") { Description = "moco, densecl: momentum of the key encoder (the paper's 0.999 suits hundreds of epochs; this default suits a 15-minute CPU run).", DefaultValueFactory = _ => MoCoProbeDefaults.KeyMomentum };
        var batchNormGroups = new Option<int?>("--bn-groups") { Description = "moco, densecl: shuffling-BatchNorm groups (default: the estimator's 4, fewer for batches under 8; 1 turns shuffling off)." };
        var queueSize = new Option<int?>("--queue-size") { Description = $"moco, densecl: negative keys in the queue, in each of DenseCL's two (default {MoCoProbeDefaults.QueueSize:N0} for moco, {DenseClProbeDefaults.QueueSize:N0} for densecl; at least the batch size)." };
        var denseLossWeight = new Option<double>("--dense-weight") { Description = "densecl: λ, the dense loss's share of the total (the paper's 0.5).", DefaultValueFactory = _ => DenseClOptions.PaperDenseLossWeight };
        var gridSize = new Option<int?>("--grid-size") { Description = "densecl: side S of the grid of dense features (default: the paper's 7, or the feature map's side when smaller)." };
        var cropScaleMin = new Option<double?>("--crop-scale-min") { Description = "Smallest crop area fraction of the view augmentation (default: the estimator's for the image shape)." };
        var colorJitter = new Option<double?>("--color-jitter") { Description = "Probability that a view gets brightness/contrast jitter, 0 for none (default: the method's, 0.8 for 1-channel images; 0 for cmc)." };
        var weightDecay = new Option<double?>("--weight-decay") { Description = "Decoupled weight decay of the optimiser (default: the estimator's)." };
        var seed = new Option<int>("--seed") { Description = "Random seed.", DefaultValueFactory = _ => 1 };
        var trainLimit = new Option<int?>("--train-limit") { Description = "Use only the first N training images (quick runs)." };
        var testLimit = new Option<int?>("--test-limit") { Description = "Use only the first N test images (quick runs)." };
        var data = new Option<string>("--data") { Description = "Folder with the Fashion-MNIST IDX .gz files.", DefaultValueFactory = _ => FashionMnist.DefaultDirectory };
        var json = new Option<string?>("--json") { Description = "Write the figures to this JSON file." };
        var onnx = new Option<string?>("--onnx") { Description = "Also save the pretrained encoder as ONNX here." };
        var exportClassifier = new Option<string?>("--export-classifier")
        {
            HelpName = "classifier.onnx",
            Description = "Also save the pretrained encoder and the linear probe as one ONNX classifier here (raw 28x28 pixels in; class probabilities, the predicted index and the class labels in the metadata out).",
        };
        var device = new Option<TrainingDevice>("--device") { Description = "Training device.", DefaultValueFactory = _ => TrainingDevice.Auto };
        var memoryBank = new Option<int?>("--memory-bank") { Description = "cmc: negatives from a memory bank of this many recent images per view (default: the paper's 16384, at most a tenth of the training images and at least a batch); 0 takes the negatives from the batch instead." };
        var views = new Option<int?>("--views") { Description = "supcon only: augmented views per image, 2 as in the paper or 1 (half the encoder work per image; the positives then come from the labels alone). Default: the estimator's 2." };
        var projectionDim = new Option<int?>("--projection-dim") { Description = "supcon, metric: output size of the projection head, 0 for none (the loss on the embedding itself). Default: the estimator's (128 for supcon, none for metric)." };
        var crossEntropyWeight = new Option<double?>("--cross-entropy-weight") { Description = "supcon only: weight w of an auxiliary cross-entropy term on a linear classifier over the embedding (loss = SupCon + w·CE; the classifier is dropped after training). Default: the estimator's 0, SupCon alone." };
        var independentViews = new Option<bool>("--independent-views") { Description = "cmc only: cut each view from its own augmented copy of the image (own crop and flip) instead of one copy shared by the views (the paper's code)." };
        var baselinesFrom = new Option<string?>("--baselines-from") { HelpName = "probe.json", Description = "Take the raw-pixel and random-init accuracies from an earlier probe --json file of the same data, encoder, width, pooling and seed instead of measuring them again (saves about 4 minutes; a cmc run only from an earlier cmc run, whose random-init encoder differs from the others')." };
        var plots = CommonOptions.Plots();
        var checkpointDirectory = CommonOptions.CheckpointDirectory();
        var checkpointEvery = CommonOptions.CheckpointEvery();

        var command = new Command("probe", "Pretrain an encoder on Fashion-MNIST without labels, then linear-probe it against raw-pixel and random-encoder baselines.")
        {
            method, metricLoss, miner, noLabels, encoder, width, pooling, epochs, minutes, batchSize, learningRate, temperature, keyMomentum, queueSize, batchNormGroups, denseLossWeight, gridSize, cropScaleMin, seed, trainLimit, testLimit, data, json, onnx, device, plots, memoryBank,
            checkpointDirectory, checkpointEvery, baselinesFrom, views, independentViews, projectionDim, crossEntropyWeight, colorJitter, weightDecay, exportClassifier,
        };
        command.SetAction(parse =>
        {
            var settings = new ProbeSettings(
                parse.GetValue(method)!, parse.GetValue(encoder), parse.GetValue(width), parse.GetValue(pooling), parse.GetValue(epochs), parse.GetValue(minutes),
                parse.GetValue(batchSize), parse.GetValue(learningRate), parse.GetValue(temperature), parse.GetValue(cropScaleMin), parse.GetValue(seed),
                parse.GetValue(trainLimit), parse.GetValue(testLimit), parse.GetValue(data)!, parse.GetValue(json), parse.GetValue(onnx),
                parse.GetValue(device), parse.GetValue(plots), parse.GetValue(checkpointDirectory), parse.GetValue(checkpointEvery), parse.GetValue(memoryBank),
                parse.GetValue(keyMomentum),
                parse.GetValue(queueSize) ?? (parse.GetValue(method) == "densecl" ? DenseClProbeDefaults.QueueSize : MoCoProbeDefaults.QueueSize),
                parse.GetValue(batchNormGroups), parse.GetValue(denseLossWeight), parse.GetValue(gridSize), parse.GetValue(baselinesFrom),
                new MetricSettings(parse.GetValue(metricLoss)!, parse.GetValue(miner), parse.GetValue(noLabels)), parse.GetValue(views), parse.GetValue(independentViews),
                parse.GetValue(projectionDim), parse.GetValue(crossEntropyWeight), parse.GetValue(colorJitter), parse.GetValue(weightDecay),
                parse.GetValue(exportClassifier));
            TextWriter stderr = parse.InvocationConfiguration.Error;
            using var interrupt = new ConsoleInterrupt(stderr);
            try
            {
                return CommandErrors.Run(() => Run(settings, parse.InvocationConfiguration.Output, interrupt.Token), stderr);
            }
            catch (OperationCanceledException canceled)
            {
                stderr.WriteLine(ConsoleInterrupt.Describe(canceled, settings.CheckpointDirectory));
                return ConsoleInterrupt.ExitCode;
            }
        });
        return command;
    }

    internal sealed record ProbeSettings(
        string Method, EncoderKind Encoder, int Width, EmbeddingPooling Pooling, int Epochs, double? Minutes, int BatchSize, double? LearningRate,
        double? Temperature, double? CropScaleMin, int Seed, int? TrainLimit, int? TestLimit, string DataDirectory, string? JsonPath, string? OnnxPath,
        TrainingDevice Device, string? PlotsDirectory = null, string? CheckpointDirectory = null,
        int CheckpointEvery = CommonOptions.DefaultCheckpointEvery, int? MemoryBank = null,
        double KeyMomentum = MoCoProbeDefaults.KeyMomentum, int QueueSize = MoCoProbeDefaults.QueueSize,
        int? BatchNormGroups = null, double DenseLossWeight = DenseClOptions.PaperDenseLossWeight, int? GridSize = null, string? BaselinesFrom = null,
        MetricSettings? Metric = null, int? Views = null, bool IndependentViews = false, int? ProjectionDim = null,
        double? CrossEntropyWeight = null, double? ColorJitter = null, double? WeightDecay = null, string? ClassifierOnnxPath = null);
    /// <summary>The metric-learning choices of the command line: loss, miner (null: the loss's default) and whether to ignore the labels.</summary>
    internal sealed record MetricSettings(string Loss, string? Miner, bool NoLabels);

    /// <summary>
    /// The probe's MoCo settings for about 1,600 steps of batch 256 (a 15-minute CPU run), where the paper's momentum of 0.999
    /// (a key encoder averaging over about 1,000 steps, made for 800 ImageNet epochs) would leave the keys close to the
    /// random initialisation for much of the run. Chosen with short smoke runs; see docs/methods/moco.md.
    /// </summary>
    internal static class MoCoProbeDefaults
    {
        public const double KeyMomentum = 0.99;
        public const int QueueSize = 16_384;
    }

    /// <summary>
    /// DenseCL's probe queue: smaller than MoCo's because the dense InfoNCE scores every cell of every image against
    /// every queued key, an (N·S²) x K matrix: 12,544 x 4,096 at batch 256 on the 7x7 grid (about 26 GFLOP a step
    /// forward and backward, 205 MB of logits), where MoCo's 16,384 would make it 4x that and dominate the step.
    /// </summary>
    internal static class DenseClProbeDefaults
    {
        public const int QueueSize = 4_096;
    }

    internal static int Run(ProbeSettings settings, TextWriter output, CancellationToken cancellation = default)
    {
        CpuKernelNotice.Print(output);
        var ml = new MLContext(settings.Seed);
        IDataView train = FashionMnist.Load(ml, train: true, settings.DataDirectory, settings.TrainLimit);
        IDataView test = FashionMnist.Load(ml, train: false, settings.DataDirectory, settings.TestLimit);
        long trainRows = ml.Data.CreateEnumerable<FashionMnistImage>(train, reuseRowObject: true).LongCount();
        long testRows = ml.Data.CreateEnumerable<FashionMnistImage>(test, reuseRowObject: true).LongCount();
        bool supervised = (MethodRegistry.FindByCliName(settings.Method) ?? MethodRegistry.BuiltIn[0]).UsesLabels(MethodOptions(settings));
        output.WriteLine($"Fashion-MNIST: {trainRows} training images (labels {(supervised ? $"used by {settings.Method}" : "unused")} for pretraining), {testRows} test images.");
        if (settings.Method == "cmc" && settings.MemoryBank is not 0)
        {
            output.WriteLine($"CMC: negatives from a memory bank of {CmcMemoryBankSize(settings, trainRows)} images per view.");
        }

        var clock = Stopwatch.StartNew();
        double rawAccuracy, randomAccuracy;
        if (settings.BaselinesFrom is string baselinesPath)
        {
            (rawAccuracy, randomAccuracy) = ProbeBaselines.Read(baselinesPath, settings, trainRows, testRows);
            output.WriteLine($"linear probe on raw pixels: test accuracy {rawAccuracy:P2}, on a random-init {settings.Encoder}: {randomAccuracy:P2} (from {baselinesPath})");
        }
        else
        {
            rawAccuracy = LinearProbe.Accuracy(ml, train, test, "Pixels");
            output.WriteLine($"linear probe on raw pixels: test accuracy {rawAccuracy:P2} ({clock.Elapsed.TotalSeconds:F0} s)");
            cancellation.ThrowIfCancellationRequested(); // the ML.NET probe does not see the token; stop before the next stage

            clock.Restart();
            randomAccuracy = LinearProbe.Accuracy(ml, train, test, "Embedding", CreateEstimator(ml, settings, o =>
            {
                o.MaxSteps = 0;
                o.Progress = null;
                o.CheckpointDirectory = null; // nothing to resume: the random-init encoder trains no step
                o.CancellationToken = cancellation;
            }), out _);
            output.WriteLine($"linear probe on a random-init {settings.Encoder}: test accuracy {randomAccuracy:P2} ({clock.Elapsed.TotalSeconds:F0} s)");
        }

        clock.Restart();
        var progress = ProgressDisplay.ForConsole(output);
        // Keeps the loss against training time for the JSON (the accuracy report draws all methods on one time axis).
        var lossCurve = new LossCurveRecorder(progress);
        IEstimator<ContrastiveEncoderTransformer> estimator = CreateEstimator(ml, settings, o =>
        {
            o.Progress = lossCurve;
            o.ProgressIntervalSeconds = progress.IntervalSeconds;
            o.CancellationToken = cancellation;
        });
        output.WriteLine($"pretraining {settings.Method} with {settings.Encoder}: up to {settings.Epochs} epochs" +
                         (settings.Minutes is double m ? $", budget {m} min" : "") + $", batch {settings.BatchSize}");
        double accuracy;
        ContrastiveEncoderTransformer? encoder;
        ITransformer probePipeline;
        try
        {
            accuracy = LinearProbe.Accuracy(ml, train, test, "Embedding", estimator, out encoder, out probePipeline);
        }
        finally
        {
            progress.Finish();
        }
        TrainingReport report = encoder!.Report;
        if (report.ResumedFromStep is long resumedAt)
        {
            output.WriteLine($"resumed from the checkpoint in '{settings.CheckpointDirectory}' at step {resumedAt}; the figures below cover the whole run.");
        }
        output.WriteLine($"linear probe on {settings.Method} {settings.Encoder} embeddings: test accuracy {accuracy:P2} " +
                         $"(pretraining {report.TrainingSeconds:F0} s on {report.Device}, {report.ImagesPerSecond:F0} img/s, {report.Steps} steps; " +
                         $"whole run {clock.Elapsed.TotalSeconds:F0} s)");
        if (settings.OnnxPath != null)
        {
            encoder.SaveOnnx(settings.OnnxPath);
            output.WriteLine($"saved the encoder as ONNX: {settings.OnnxPath}");
        }
        if (settings.ClassifierOnnxPath != null)
        {
            ContrastiveModel.ExportClassifierToOnnx(probePipeline, train.Schema, settings.ClassifierOnnxPath);
            output.WriteLine($"saved the encoder and the linear probe as one ONNX classifier: {settings.ClassifierOnnxPath}");
        }
        if (settings.PlotsDirectory != null)
        {
            output.WriteLine($"plot: {TrainingPlots.LossCurve(report, settings.PlotsDirectory)}");
            (List<float[]> embeddings, List<string> labels) = PretrainCommand.EmbeddingsAndLabels(ml, encoder.Transform(test), TrainingPlots.MaxScatterPoints);
            output.WriteLine($"plot: {TrainingPlots.Embeddings(embeddings, labels, $"{report.Method} {report.Encoder} embeddings of {embeddings.Count} test images (PCA)", settings.PlotsDirectory)}");
        }

        var figures = new Dictionary<string, object?>
        {
            ["method"] = settings.Method,
            ["commandLine"] = CommandLine(),
            ["metricLoss"] = settings.Method == "metric" ? settings.Metric?.Loss ?? "contrastive" : null,
            ["miner"] = settings.Method == "metric" ? settings.Metric?.Miner : null,
            ["labelsUsed"] = supervised,
            ["encoder"] = settings.Encoder.ToString(),
            ["pooling"] = settings.Pooling.ToString(),
            ["epochs"] = report.EpochsCompleted,
            ["epochsRequested"] = settings.Epochs,
            ["budgetMinutes"] = settings.Minutes,
            ["stoppedByTimeBudget"] = report.StoppedByTimeBudget,
            ["batchSize"] = report.BatchSize,
            ["steps"] = report.Steps,
            ["pretrainSeconds"] = Math.Round(report.TrainingSeconds, 1),
            ["trainImagesPerSecond"] = Math.Round(report.ImagesPerSecond, 1),
            ["linearProbeAccuracy"] = Math.Round(accuracy, 4),
            ["rawPixelAccuracy"] = Math.Round(rawAccuracy, 4),
            ["randomEncoderAccuracy"] = Math.Round(randomAccuracy, 4),
            ["baselinesFrom"] = settings.BaselinesFrom,
            ["width"] = settings.Width,
            ["embeddingDim"] = report.EmbeddingDim,
            ["device"] = report.Device,
            ["onnxParityMaxAbsDifference"] = report.OnnxParityMaxAbsDifference,
            ["finalEpochLoss"] = report.EpochLosses.Count > 0 ? report.EpochLosses[^1] : null,
            ["trainRows"] = trainRows,
            ["testRows"] = testRows,
            ["seed"] = settings.Seed,
            ["processorCount"] = Environment.ProcessorCount,
            ["date"] = DateTime.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture),
            ["lossCurve"] = lossCurve.Points.Select(p => new Dictionary<string, double> { ["seconds"] = p.Seconds, ["step"] = p.Step, ["loss"] = p.Loss }).ToList(),
        };
        if (settings.Method is "moco" or "densecl")
        {
            figures["keyMomentum"] = settings.KeyMomentum;
            figures["queueSize"] = settings.QueueSize;
            figures["shuffleBatchNormGroups"] = settings.BatchNormGroups ?? MoCoBatchNormGroups(settings.BatchSize);
        }
        if (settings.Method == "cmc")
        {
            figures["memoryBank"] = settings.MemoryBank == 0 ? 0 : CmcMemoryBankSize(settings, trainRows);
            figures["augmentViewsIndependently"] = settings.IndependentViews;
        }
        if (settings.Method == "supcon")
        {
            figures["viewsPerImage"] = settings.Views ?? new SupConOptions().ViewsPerImage;
            figures["temperature"] = settings.Temperature ?? new SupConOptions().Temperature;
            figures["projectionDim"] = settings.ProjectionDim ?? new SupConOptions().ProjectionDim;
            figures["crossEntropyWeight"] = settings.CrossEntropyWeight ?? new SupConOptions().CrossEntropyWeight;
        }
        if (settings.Method == "metric") figures["projectionDim"] = settings.ProjectionDim ?? new MetricLearningOptions().ProjectionDim;
        if (settings.Method == "densecl")
        {
            figures["denseLossWeight"] = settings.DenseLossWeight;
            figures["gridSize"] = settings.GridSize;
        }
        if (settings.JsonPath != null)
        {
            File.WriteAllText(settings.JsonPath, JsonSerializer.Serialize(figures, new JsonSerializerOptions { WriteIndented = true }));
            output.WriteLine($"figures written to {settings.JsonPath}");
        }
        return 0;
    }

    /// <summary>The command as run, e.g. <c>contrastiveml probe --method simclr --minutes 15</c> (arguments with spaces quoted).</summary>
    internal static string CommandLine()
    {
        IEnumerable<string> arguments = Environment.GetCommandLineArgs().Skip(1).SkipWhile(a => a != "probe");
        return "contrastiveml " + string.Join(' ', arguments.Select(a => a.Contains(' ', StringComparison.Ordinal) ? $"\"{a}\"" : a));
    }

    /// <summary>The estimator of <see cref="ProbeSettings.Method"/>: SimCLR, MoCo, DenseCL (MoCo's settings plus its own), CMC, metric learning, or SupCon or cross-entropy on the Label column.</summary>
    internal static IEstimator<ContrastiveEncoderTransformer> CreateEstimator(MLContext ml, ProbeSettings settings, Action<ContrastiveEncoderOptions> adjust)
    {
        ContrastiveEncoderOptions options = MethodOptions(settings);
        Fill(options, settings);
        adjust(options);
        return MethodRegistry.For(options).CreateEstimator(ml, options);
    }

    /// <summary>The options of <see cref="ProbeSettings.Method"/> with what the command line sets for that method alone.</summary>
    private static ContrastiveEncoderOptions MethodOptions(ProbeSettings settings)
    {
        switch (settings.Method)
        {
            case "cmc":
            {
                // Fashion-MNIST is 1-channel: CMC's views are the low and high frequency bands (ViewSplit.Auto).
                var cmc = new CmcOptions { AugmentViewsIndependently = settings.IndependentViews };
                if (settings.Temperature is double tau) cmc.Temperature = tau;
                if (settings.MemoryBank == 0) cmc.Negatives = CmcNegatives.Batch;
                else cmc.MemoryBankSize = settings.MemoryBank; // null: the estimator sizes the bank from the data
                // CMC's own augmentation (crop and flip only: jitter, grayscale and blur would erase a view) is the one adjusted.
                cmc.Augmentation = Augmentation(settings, cmc.AugmentationFor(FashionMnist.Shape));
                return cmc;
            }
            case "crossentropy":
                return new SupervisedPretrainingOptions { LabelColumnName = "Label", Augmentation = Augmentation(settings) };
            case "moco" or "densecl":
            {
                MoCoOptions moCo = settings.Method == "densecl"
                    ? new DenseClOptions { DenseLossWeight = settings.DenseLossWeight, GridSize = settings.GridSize }
                    : new MoCoOptions();
                moCo.KeyMomentum = settings.KeyMomentum;
                moCo.QueueSize = settings.QueueSize;
                if (settings.Temperature is double t) moCo.Temperature = t;
                moCo.ShuffleBatchNormGroups = settings.BatchNormGroups ?? MoCoBatchNormGroups(settings.BatchSize);
                moCo.Augmentation = Augmentation(settings);
                return moCo;
            }
            case "metric":
            {
                MetricLearningOptions metric = MetricOptions(settings.Metric ?? new MetricSettings("contrastive", null, false));
                if (settings.ProjectionDim is int metricHead) metric.ProjectionDim = metricHead;
                metric.Augmentation = Augmentation(settings);
                return metric;
            }
            case "supcon":
            {
                var supCon = new SupConOptions { LabelColumnName = "Label", Augmentation = Augmentation(settings) };
                if (settings.Temperature is double t) supCon.Temperature = t;
                if (settings.Views is int viewsPerImage) supCon.ViewsPerImage = viewsPerImage;
                if (settings.ProjectionDim is int supConHead) supCon.ProjectionDim = supConHead;
                if (settings.CrossEntropyWeight is double crossEntropyWeight) supCon.CrossEntropyWeight = crossEntropyWeight;
                return supCon;
            }
            default:
            {
                var simClr = new SimClrOptions { Augmentation = Augmentation(settings) };
                if (settings.Temperature is double temperature) simClr.Temperature = temperature;
                return simClr;
            }
        }
    }

    /// <summary>CMC's bank as the estimator will size it: --memory-bank, else <see cref="CmcOptions.ResolveMemoryBankSize"/>'s rule.</summary>
    internal static int CmcMemoryBankSize(ProbeSettings settings, long trainRows) =>
        new CmcOptions { MemoryBankSize = settings.MemoryBank is int size and > 0 ? size : null }.ResolveMemoryBankSize(trainRows, settings.BatchSize);

    /// <summary>MoCo's shuffling-BatchNorm groups for a batch size: the estimator's 4, fewer for batches under 8 (two images per group at least).</summary>
    internal static int MoCoBatchNormGroups(int batchSize) => Math.Clamp(batchSize / 2, 1, new MoCoOptions().ShuffleBatchNormGroups);

    /// <summary>The metric-learning options of --metric-loss, --miner and --no-labels; a miner the loss has no use for is an error naming it.</summary>
    internal static MetricLearningOptions MetricOptions(MetricSettings metric)
    {
        var options = new MetricLearningOptions { LabelColumnName = metric.NoLabels ? null : "Label" };
        if (metric.Loss == "contrastive")
        {
            options.Loss = MetricLossKind.Contrastive;
            options.PairMiner = metric.Miner switch
            {
                null or "all" => Losses.PairMining.All,
                "hard" => Losses.PairMining.Hard,
                _ => throw new ArgumentException($"--miner {metric.Miner} applies to --metric-loss triplet; the contrastive loss takes all or hard (batch hard)."),
            };
        }
        else
        {
            options.Loss = MetricLossKind.Triplet;
            options.TripletMiner = metric.Miner switch
            {
                null => options.TripletMiner,
                "all" => Losses.TripletMining.All,
                "hard" => Losses.TripletMining.Hard,
                "semi-hard" => Losses.TripletMining.SemiHard,
                _ => throw new ArgumentException($"--miner {metric.Miner}: easy triplets (d(a, n) > d(a, p) + margin) have zero loss by definition, so training on them changes nothing; use all, hard or semi-hard."),
            };
        }
        return options;
    }

    /// <summary>The options every method shares, from the command line.</summary>
    private static void Fill(ContrastiveEncoderOptions options, ProbeSettings settings)
    {
        options.InputColumnName = "Pixels";
        options.OutputColumnName = "Embedding";
        options.ImageShape = FashionMnist.Shape;
        options.Encoder = settings.Encoder;
        options.EncoderWidth = settings.Width;
        options.EncoderPooling = settings.Pooling;
        options.Epochs = settings.Epochs;
        options.MaxMinutes = settings.Minutes;
        options.BatchSize = settings.BatchSize;
        options.Seed = settings.Seed;
        options.Device = settings.Device;
        if (settings.LearningRate is double lr) options.LearningRate = lr;
        if (settings.WeightDecay is double decay) options.WeightDecay = decay;
        options.CheckpointDirectory = settings.CheckpointDirectory;
        options.CheckpointEverySteps = settings.CheckpointEvery;
    }

    /// <summary>
    /// The estimator's own augmentation (null) unless --crop-scale-min or --color-jitter changes it; then
    /// <paramref name="defaults"/> (the 1-channel defaults of the contrastive methods when null) with those changed.
    /// </summary>
    private static ContrastiveML.Augmentation.SimClrAugmentationOptions? Augmentation(ProbeSettings settings,
                                                                                      ContrastiveML.Augmentation.SimClrAugmentationOptions? defaults = null)
    {
        if (settings.CropScaleMin is null && settings.ColorJitter is null) return null;
        var augmentation = defaults ?? ContrastiveML.Augmentation.SimClrAugmentationOptions.ForSmallGrayscale();
        if (settings.CropScaleMin is double crop) augmentation.CropScaleMin = crop;
        if (settings.ColorJitter is double jitter) augmentation.ColorJitterProbability = jitter;
        return augmentation;
    }
}
