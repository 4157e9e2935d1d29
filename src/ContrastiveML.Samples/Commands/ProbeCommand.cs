using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using ContrastiveML.Encoders;
using ContrastiveML.Methods;
using ContrastiveML.Methods.CommandLine;
using ContrastiveML.Samples.Plots;
using ContrastiveML.Samples.Probing;
using ContrastiveML.Training;
using Microsoft.ML;

namespace ContrastiveML.Samples.Commands;

/// <summary>
/// <c>probe</c>: pretrain on the Fashion-MNIST training images without labels, then linear-probe: fit an ML.NET
/// multinomial logistic regression (L-BFGS) on the embeddings of the training images and report test accuracy,
/// beside the same trainer on raw pixels and on the embeddings of the same encoder left at random initialisation.
/// The method options come from the method registry (<see cref="MethodOptionSymbols"/>).
/// </summary>
internal static class ProbeCommand
{
    public static Command Create()
    {
        var method = MethodOptionSymbols.MethodOption(MethodCommands.Probe, "Labels come from the Fashion-MNIST training split.");
        var methodOptions = new MethodOptionSymbols(MethodCommands.Probe);
        var defaults = new ProbeSettings();
        var encoder = new Option<EncoderKind>("--encoder") { Description = "Encoder backbone.", DefaultValueFactory = _ => defaults.Encoder };
        var width = new Option<int>("--width") { Description = "Encoder width; 0 = the encoder's default.", DefaultValueFactory = _ => defaults.Width };
        var pooling = new Option<EmbeddingPooling>("--pooling") { Description = "Embedding pooling of the last feature map.", DefaultValueFactory = _ => defaults.Pooling };
        var epochs = new Option<int>("--epochs") { Description = "Pretraining epochs (the time budget may end training first).", DefaultValueFactory = _ => defaults.Epochs };
        var minutes = new Option<double?>("--minutes") { Description = "Pretraining time budget in minutes." };
        var batchSize = new Option<int>("--batch-size") { Description = "Images per batch.", DefaultValueFactory = _ => defaults.BatchSize };
        var learningRate = new Option<double?>("--lr") { Description = "Peak learning rate (default: the estimator's)." };
        var weightDecay = new Option<double?>("--weight-decay") { Description = "Decoupled weight decay of the optimiser (default: the estimator's)." };
        var seed = new Option<int>("--seed") { Description = "Random seed.", DefaultValueFactory = _ => defaults.Seed };
        var trainLimit = new Option<int?>("--train-limit") { Description = "Use only the first N training images (quick runs)." };
        var testLimit = new Option<int?>("--test-limit") { Description = "Use only the first N test images (quick runs)." };
        var data = new Option<string>("--data") { Description = "Folder with the Fashion-MNIST IDX .gz files.", DefaultValueFactory = _ => defaults.DataDirectory };
        var json = new Option<string?>("--json") { Description = "Write the figures to this JSON file." };
        var onnx = new Option<string?>("--onnx") { Description = "Also save the pretrained encoder as ONNX here." };
        var exportClassifier = new Option<string?>("--export-classifier")
        {
            HelpName = "classifier.onnx",
            Description = "Also save the pretrained encoder and the linear probe as one ONNX classifier here (raw 28x28 pixels in; class probabilities, the predicted index and the class labels in the metadata out).",
        };
        var device = new Option<TrainingDevice>("--device") { Description = "Training device.", DefaultValueFactory = _ => defaults.Device };
        var baselinesFrom = new Option<string?>("--baselines-from") { HelpName = "probe.json", Description = "Take the raw-pixel and random-init accuracies from an earlier probe --json file of the same data, encoder, width, pooling and seed instead of measuring them again (saves about 4 minutes; a cmc run only from an earlier cmc run, whose random-init encoder differs from the others')." };
        var plots = CommonOptions.Plots();
        var checkpointDirectory = CommonOptions.CheckpointDirectory();
        var checkpointEvery = CommonOptions.CheckpointEvery();

        var command = new Command("probe", "Pretrain an encoder on Fashion-MNIST without labels, then linear-probe it against raw-pixel and random-encoder baselines.")
        {
            method, encoder, width, pooling, epochs, minutes, batchSize, learningRate, weightDecay, seed, trainLimit, testLimit, data, json, onnx, device, plots,
            checkpointDirectory, checkpointEvery, baselinesFrom, exportClassifier,
        };
        foreach (Option option in methodOptions.Options) command.Options.Add(option);
        command.SetAction(parse =>
        {
            var settings = new ProbeSettings
            {
                Method = parse.GetValue(method)!, MethodOptions = methodOptions.Given(parse),
                Encoder = parse.GetValue(encoder), Width = parse.GetValue(width), Pooling = parse.GetValue(pooling),
                Epochs = parse.GetValue(epochs), Minutes = parse.GetValue(minutes), BatchSize = parse.GetValue(batchSize),
                LearningRate = parse.GetValue(learningRate), WeightDecay = parse.GetValue(weightDecay), Seed = parse.GetValue(seed),
                TrainLimit = parse.GetValue(trainLimit), TestLimit = parse.GetValue(testLimit), DataDirectory = parse.GetValue(data)!,
                JsonPath = parse.GetValue(json), OnnxPath = parse.GetValue(onnx), ClassifierOnnxPath = parse.GetValue(exportClassifier),
                Device = parse.GetValue(device), PlotsDirectory = parse.GetValue(plots),
                CheckpointDirectory = parse.GetValue(checkpointDirectory), CheckpointEvery = parse.GetValue(checkpointEvery),
                BaselinesFrom = parse.GetValue(baselinesFrom),
            };
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

    internal static int Run(ProbeSettings settings, TextWriter output, CancellationToken cancellation = default)
    {
        MethodOptionSymbols.CheckTakenBy(MethodCommands.Probe, settings.Descriptor, settings.MethodOptions);
        CpuKernelNotice.Print(output);
        var ml = new MLContext(settings.Seed);
        IDataView train = FashionMnist.Load(ml, train: true, settings.DataDirectory, settings.TrainLimit);
        IDataView test = FashionMnist.Load(ml, train: false, settings.DataDirectory, settings.TestLimit);
        long trainRows = ml.Data.CreateEnumerable<FashionMnistImage>(train, reuseRowObject: true).LongCount();
        long testRows = ml.Data.CreateEnumerable<FashionMnistImage>(test, reuseRowObject: true).LongCount();
        ContrastiveEncoderOptions methodOptions = ProbeEstimator.Options(settings);
        bool supervised = settings.Descriptor.UsesLabels(methodOptions);
        output.WriteLine($"Fashion-MNIST: {trainRows} training images (labels {(supervised ? $"used by {settings.Method}" : "unused")} for pretraining), {testRows} test images.");
        if (settings.Descriptor.CommandLine.Summary(methodOptions, trainRows) is string summary) output.WriteLine(summary);

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
            randomAccuracy = LinearProbe.Accuracy(ml, train, test, "Embedding", ProbeEstimator.Create(ml, settings, o =>
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
        IEstimator<ContrastiveEncoderTransformer> estimator = ProbeEstimator.Create(ml, settings, o =>
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
            (List<float[]> embeddings, List<string> labels) = EmbeddingReader.EmbeddingsAndLabels(ml, encoder.Transform(test), TrainingPlots.MaxScatterPoints);
            output.WriteLine($"plot: {TrainingPlots.Embeddings(embeddings, labels, $"{report.Method} {report.Encoder} embeddings of {embeddings.Count} test images (PCA)", settings.PlotsDirectory)}");
        }

        Dictionary<string, object?> figures = ProbeFigures.Of(settings, methodOptions, supervised, report, new ProbeAccuracies(accuracy, rawAccuracy, randomAccuracy),
                                                             trainRows, testRows, lossCurve.Points);
        if (settings.JsonPath != null)
        {
            File.WriteAllText(settings.JsonPath, JsonSerializer.Serialize(figures, new JsonSerializerOptions { WriteIndented = true }));
            output.WriteLine($"figures written to {settings.JsonPath}");
        }
        return 0;
    }
}
