using System.CommandLine;
using ContrastiveML.Encoders;
using ContrastiveML.Methods;
using ContrastiveML.Methods.CommandLine;
using ContrastiveML.Evaluation;
using ContrastiveML.Samples.Images;
using ContrastiveML.Samples.Plots;
using ContrastiveML.Samples.Pretraining;
using Microsoft.ML;
using Microsoft.ML.Transforms.Image;

namespace ContrastiveML.Samples.Commands;

/// <summary>
/// <c>pretrain</c>: pretrain an encoder without labels on a folder of images (or Fashion-MNIST IDX files) and save the
/// fitted ML.NET pipeline as a zip (image loading and resizing included, so <c>embed</c> needs only the model and a
/// folder), optionally the encoder as ONNX and pictures of the training.
/// </summary>
internal static class PretrainCommand
{
    public static Command Create()
    {
        var images = new Option<string?>("--images") { HelpName = "DIR", Description = "Folder of JPEG/PNG images, searched recursively; first-level subfolder names are recorded as labels." };
        var idx = new Option<string?>("--idx") { HelpName = "DIR", Description = "Folder with Fashion-MNIST IDX .gz files (instead of --images); trains on the training split." };
        var method = MethodOptionSymbols.MethodOption(MethodCommands.Pretrain, "Methods that use labels read them from the first-level subfolders of --images, or from the IDX labels.");
        var epochs = new Option<int?>("--epochs") { Description = "Pretraining epochs (--minutes or --max-steps may end training first). Default: from the image count (about 100,000 images seen), or as many as --minutes allows." };
        var minutes = new Option<double?>("--minutes") { Description = "Pretraining time budget in minutes." };
        var maxSteps = new Option<int?>("--max-steps") { Description = "Stop after this many optimiser steps (quick runs; 0 saves the random-init encoder)." };
        var encoder = new Option<EncoderKind>("--encoder") { Description = "Encoder backbone.", DefaultValueFactory = _ => EncoderKind.CompactCnn };
        var width = new Option<int>("--width") { Description = "Encoder width; 0 = the encoder's default.", DefaultValueFactory = _ => 0 };
        var pooling = new Option<EmbeddingPooling?>("--pooling") { Description = "Embedding pooling of the last feature map (default: Grid3x3 for images of at most 64 pixels a side, else Global)." };
        var size = new Option<string?>("--size") { HelpName = "HxW", Description = "Image size HEIGHTxWIDTH the images are resized to, keeping the aspect ratio and cropping the centre (default: the images' median size, reduced to 64 on the longer side when larger; IDX images are 28x28)." };
        var channels = new Option<int?>("--channels") { HelpName = "1|3", Description = "1 (grayscale) or 3 (RGB) (default: 1 when every image is gray, else 3; IDX images have 1)." };
        var batchSize = new Option<int?>("--batch-size") { Description = "Images per batch (default: 64, or less so that an epoch has 8 steps)." };
        var learningRate = new Option<double?>("--lr") { Description = "Peak learning rate (default: AdamW's 2e-3 at batch 256, scaled with the square root of the batch)." };
        var methodOptions = new MethodOptionSymbols(MethodCommands.Pretrain, PretrainDefaults.DefaultDescriptions);
        var evalImages = new Option<string?>("--eval-images") { HelpName = "DIR", Description = "Held-out images to evaluate on (labels from first-level subfolders). Default: 10% of labelled --images (at most 1,000) are held out; unlabelled images are evaluated without labels." };
        var evalEvery = new Option<int?>("--eval-every") { HelpName = "N", Description = "Evaluate every N steps (default: spaced so that evaluation takes at most 2% of the training time)." };
        var noEval = new Option<bool>("--no-eval") { Description = "Hold nothing out and evaluate nothing." };
        var json = new Option<string?>("--json") { HelpName = "report.json", Description = "Write the run's choices, figures and evaluations to this JSON file." };
        var seed = new Option<int>("--seed") { Description = "Random seed.", DefaultValueFactory = _ => 1 };
        var limit = new Option<int?>("--limit") { Description = "Use only the first N images (files in path order, or IDX rows)." };
        var device = new Option<TrainingDevice>("--device") { Description = "Training device.", DefaultValueFactory = _ => TrainingDevice.Auto };
        var output = new Option<string>("--out") { HelpName = "model.zip", Description = "Save the fitted ML.NET pipeline (image loading, resizing, encoder) to this zip.", Required = true };
        var onnx = new Option<string?>("--onnx") { HelpName = "encoder.onnx", Description = "Also save the encoder as ONNX here (input: raw CHW pixels, output: embeddings)." };
        var onBadFile = CommonOptions.OnBadFile();
        var plots = CommonOptions.Plots();
        var checkpointDirectory = CommonOptions.CheckpointDirectory();
        var checkpointEvery = CommonOptions.CheckpointEvery();

        var command = new Command("pretrain", "Pretrain an image encoder without labels on a folder of images (or Fashion-MNIST IDX files) and save it as an ML.NET model.")
        {
            images, idx, method, epochs, minutes, maxSteps, encoder, width, pooling, size, channels, batchSize, learningRate, seed, limit, device,
            output, onnx, onBadFile, plots, checkpointDirectory, checkpointEvery, evalImages, evalEvery, noEval, json,
        };
        foreach (Option option in methodOptions.Options) command.Options.Add(option);
        command.SetAction(parse =>
        {
            TextWriter stdout = parse.InvocationConfiguration.Output, stderr = parse.InvocationConfiguration.Error;
            var settings = new PretrainSettings
            {
                Images = parse.GetValue(images), Idx = parse.GetValue(idx), Method = parse.GetValue(method)!, MethodOptions = methodOptions.Given(parse),
                Epochs = parse.GetValue(epochs), Minutes = parse.GetValue(minutes), MaxSteps = parse.GetValue(maxSteps),
                Encoder = parse.GetValue(encoder), Width = parse.GetValue(width), Pooling = parse.GetValue(pooling), Size = parse.GetValue(size),
                Channels = parse.GetValue(channels), BatchSize = parse.GetValue(batchSize), LearningRate = parse.GetValue(learningRate),
                Seed = parse.GetValue(seed), Limit = parse.GetValue(limit), Device = parse.GetValue(device), Out = parse.GetValue(output)!,
                OnnxPath = parse.GetValue(onnx), OnBadFile = parse.GetValue(onBadFile), PlotsDirectory = parse.GetValue(plots),
                CheckpointDirectory = parse.GetValue(checkpointDirectory), CheckpointEvery = parse.GetValue(checkpointEvery),
                EvalImages = parse.GetValue(evalImages), EvalEvery = parse.GetValue(evalEvery), NoEval = parse.GetValue(noEval), JsonPath = parse.GetValue(json),
            };
            using var interrupt = new ConsoleInterrupt(stderr);
            try
            {
                return CommandErrors.Run(() => Run(settings, stdout, stderr, ProgressDisplay.ForConsole(stdout), interrupt.Token), stderr);
            }
            catch (OperationCanceledException canceled)
            {
                stderr.WriteLine(ConsoleInterrupt.Describe(canceled, settings.CheckpointDirectory));
                return ConsoleInterrupt.ExitCode;
            }
        });
        return command;
    }

    internal static int Run(PretrainSettings settings, TextWriter output, TextWriter error, ProgressDisplay progress,
                            CancellationToken cancellation = default)
    {
        if ((settings.Images == null) == (settings.Idx == null))
        {
            throw new ArgumentException($"Give exactly one of --images DIR or --idx DIR; found {(settings.Images == null ? "neither" : "both")}.");
        }
        if (settings.Channels is int c && c != 1 && c != 3) throw new ArgumentException($"--channels must be 1 or 3; found {c}.");
        if (settings.Limit is int l && l < 1) throw new ArgumentException($"--limit must be at least 1; found {l}.");
        if (settings.CheckpointEvery < 1) throw new ArgumentException($"--checkpoint-every must be at least 1; found {settings.CheckpointEvery}.");
        if (settings.BatchSize is int b && b < 2) throw new ArgumentException($"--batch-size must be at least 2; found {b}.");
        if (settings.Epochs is int e && e < 1) throw new ArgumentException($"--epochs must be at least 1; found {e}.");
        if (settings.EvalEvery is int ee && ee < 1) throw new ArgumentException($"--eval-every must be at least 1; found {ee}.");
        if (settings.CropScaleMin is double cs && !(cs > 0 && cs <= 1)) throw new ArgumentException($"--crop-scale-min must be in (0, 1]; found {cs}.");
        if (settings.Temperature is double t && !(t > 0)) throw new ArgumentException($"--temperature must be positive; found {t}.");
        if (settings.NoEval && settings.EvalImages != null) throw new ArgumentException("--no-eval and --eval-images contradict each other; give one.");
        MethodDescriptor method = settings.Descriptor;
        MethodOptionSymbols.CheckTakenBy(MethodCommands.Pretrain, method, settings.MethodOptions);

        CpuKernelNotice.Print(output);
        (int, int)? givenSize = settings.Size == null ? null : ImageSize.Parse(settings.Size);
        var ml = new MLContext(settings.Seed);
        IDataView data;
        IEstimator<ITransformer> pipeline;
        bool supervised = PretrainOptions.UsesLabels(method, settings.MethodOptions);
        ContrastiveEncoderOptions options;
        PretrainChoices choices;
        if (settings.Images != null)
        {
            IReadOnlyList<ImageFile> files = ImageFolder.Scan(settings.Images, settings.OnBadFile, error, settings.Limit);
            int labels = files.Select(f => f.Label).Where(f => f.Length > 0).Distinct().Count();
            int unlabelled = files.Count(f => f.Label.Length == 0);
            bool labelled = labels >= 2 && unlabelled == 0;
            if (supervised && !labelled)
            {
                throw new ArgumentException(
                    $"--method {settings.Method} needs class labels: every image under '{settings.Images}' must sit in a first-level subfolder named after its class, " +
                    $"with at least two classes; found {labels} labelled subfolder(s) and {unlabelled} image(s) directly in the folder. " +
                    "Use --method simclr for unlabelled images.");
            }
            HeldOutSplit split = HeldOutSplit.Choose(files, labelled, settings.EvalImages, settings.NoEval, settings.OnBadFile, error);
            choices = PretrainDefaults.Choose(ImageFolderFacts.Of(split.Training, settings.Minutes != null), settings.Channels,
                                              givenSize, settings.Pooling, settings.BatchSize,
                                              settings.LearningRate, settings.Epochs, settings.CropScaleMin, settings.Temperature, settings.Encoder);
            (int height, int width) = choices.Size.Value;
            options = PretrainOptions.Create(settings, choices, new ImageShape(choices.Channels.Value, height, width), progress);
            options.InputColumnName = ModelColumns.Image;
            output.WriteLine($"{files.Count} images under '{settings.Images}'" +
                             (labels > 0 ? $" in {labels} labelled subfolders (labels recorded, {(supervised ? "used" : "unused")} by {settings.Method} training)" : "") +
                             $", resized to {options.ImageShape}.");
            var loadAndResize = ml.Transforms.LoadImages(ModelColumns.Image, imageFolder: null, ImageFolderRow.PathColumn)
                // Keep the aspect ratio and crop the centre, so that objects are not stretched.
                .Append(ml.Transforms.ResizeImages(ModelColumns.Image, width, height, resizing: ImageResizingEstimator.ResizingKind.IsoCrop,
                                                   cropAnchor: ImageResizingEstimator.Anchor.Center));
            data = ImageFolder.ToDataView(ml, split.Training);
            if (split.HeldOut != null)
            {
                IDataView held = ImageFolder.ToDataView(ml, split.HeldOut);
                options.Evaluation = new OnlineEvaluationOptions
                {
                    Data = loadAndResize.Fit(held).Transform(held),
                    LabelColumnName = split.HeldOutLabelled ? "Label" : null,
                    UseTrainingLabels = labelled,
                    MaxEvaluationRows = HeldOutSplit.MaxHeldOut,
                    EverySteps = settings.EvalEvery,
                };
                output.WriteLine(split.Description);
            }
            pipeline = loadAndResize.Append(MethodRegistry.For(options).CreateEstimator(ml, options));
        }
        else
        {
            if (givenSize != null && givenSize != (28, 28) || settings.Channels is int ch && ch != 1)
            {
                throw new ArgumentException($"--idx reads Fashion-MNIST's 1x28x28 images; --size {settings.Size ?? "28x28"} --channels {settings.Channels ?? 1} do not match. Leave them out.");
            }
            if (settings.EvalImages != null) throw new ArgumentException("--eval-images goes with --images; with --idx the evaluation holds out part of the IDX training images.");
            data = FashionMnist.Load(ml, train: true, settings.Idx, settings.Limit);
            int rows = (int)(data.GetRowCount() ?? settings.Limit ?? 60_000);
            choices = PretrainDefaults.Choose(new ImageFolderFacts(rows, 28, 28, AllGrayscale: true, settings.Minutes != null), 1, (28, 28),
                                              settings.Pooling, settings.BatchSize, settings.LearningRate, settings.Epochs, settings.CropScaleMin, settings.Temperature,
                                              settings.Encoder);
            options = PretrainOptions.Create(settings, choices, FashionMnist.Shape, progress);
            options.InputColumnName = "Pixels";
            // One image in ten held out, as for labelled folders; a few dozen images are too few to hold any out.
            bool evaluate = !settings.NoEval && rows >= HeldOutSplit.HoldOutEvery * HeldOutSplit.MinimumHeldOut;
            if (evaluate)
            {
                options.Evaluation = new OnlineEvaluationOptions { LabelColumnName = "Label", HoldOutFraction = 1.0 / HeldOutSplit.HoldOutEvery, MaxEvaluationRows = HeldOutSplit.MaxHeldOut, EverySteps = settings.EvalEvery };
            }
            output.WriteLine($"Fashion-MNIST training images from '{settings.Idx}'{(settings.Limit is int n ? $" (first {n})" : "")}" +
                             (evaluate ? "; one in ten held out for evaluation (at most 1,000 used)." : settings.NoEval ? "." : "; too few to hold any out, so no evaluation."));
            pipeline = MethodRegistry.For(options).CreateEstimator(ml, options);
        }
        foreach (string line in choices.Lines()) output.WriteLine($"  {line}");
        // Ctrl+C and SIGTERM stop training after the step in flight (and checkpoint it with --checkpoint-dir).
        options.CancellationToken = cancellation;

        output.WriteLine($"pretraining {settings.Method} with {settings.Encoder}: up to {options.Epochs} epochs" +
                         (settings.Minutes is double m ? $", budget {m} min" : "") + (settings.MaxSteps is int s ? $", at most {s} steps" : "") +
                         $", batch {options.BatchSize}");
        var wall = System.Diagnostics.Stopwatch.StartNew();
        ITransformer model;
        try
        {
            model = pipeline.Fit(data);
        }
        finally
        {
            progress.Finish();
        }
        wall.Stop();
        ContrastiveEncoderTransformer encoder = model as ContrastiveEncoderTransformer
            ?? ((IEnumerable<ITransformer>)model).OfType<ContrastiveEncoderTransformer>().Single();
        var report = encoder.Report;
        if (report.ResumedFromStep is long resumedAt)
        {
            output.WriteLine($"resumed from the checkpoint in '{settings.CheckpointDirectory}' at step {resumedAt}; the figures below cover the whole run.");
        }
        output.WriteLine($"pretrained: {report.Steps} steps, {report.EpochsCompleted} epochs, {report.TrainingSeconds:F1} s on {report.Device}, " +
                         $"{report.ImagesPerSecond:F0} img/s, embedding {report.EmbeddingDim} values, ONNX parity {report.OnnxParityMaxAbsDifference:G2}");
        if (report.Evaluation is EvaluationReport evaluation)
        {
            foreach (string line in EvaluationSummary.Lines(evaluation, report.TrainingSeconds)) output.WriteLine(line);
        }

        ml.Model.Save(model, data.Schema, settings.Out);
        output.WriteLine($"saved the model: {settings.Out}");
        if (settings.OnnxPath != null)
        {
            encoder.SaveOnnx(settings.OnnxPath);
            output.WriteLine($"saved the encoder as ONNX: {settings.OnnxPath}");
        }
        if (settings.PlotsDirectory != null)
        {
            output.WriteLine($"plot: {TrainingPlots.LossCurve(report, settings.PlotsDirectory)}");
            if (report.Evaluation != null) output.WriteLine($"plot: {EvaluationPlot.Write(report, settings.PlotsDirectory)}");
            (List<float[]> embeddings, List<string> labels) = EmbeddingReader.EmbeddingsAndLabels(ml, model.Transform(data), TrainingPlots.MaxScatterPoints);
            output.WriteLine($"plot: {TrainingPlots.Embeddings(embeddings, labels, $"{report.Method} {report.Encoder} embeddings of the training images (PCA)", settings.PlotsDirectory)}");
        }
        if (settings.JsonPath != null)
        {
            PretrainJson.Write(settings.JsonPath, settings, choices, options, report, wall.Elapsed.TotalSeconds);
            output.WriteLine($"saved the report: {settings.JsonPath}");
        }
        return 0;
    }
}
