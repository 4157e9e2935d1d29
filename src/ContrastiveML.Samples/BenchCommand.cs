using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using ContrastiveML.Data;
using ContrastiveML.Encoders;
using ContrastiveML.NativeKernels;
using ContrastiveML.Onnx;
using ContrastiveML.Scoring;
using ContrastiveML.Training;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.OnnxRuntime;
using TorchSharp;
using static TorchSharp.torch;

namespace ContrastiveML.Samples;

/// <summary>
/// <c>bench</c>: how fast this machine runs ContrastiveML, every figure a median over repeated runs in one process:
/// a reference float32 matmul FLOP/s; SimCLR training throughput per encoder with its achieved FLOP/s (counted
/// from the layers) as a fraction of the matmul's; the share of a step spent reading, making views,
/// forward+backward and in the optimiser; inference through ML.NET (batched, and the stock per-row OnnxTransformer),
/// ONNX Runtime and TorchSharp (in several configurations); the peak resident memory of a short Fit on 6,000 vs 60,000
/// Fashion-MNIST images and the resident memory after 50 vs 500 training steps (child processes, so they don't mix).
/// Where a comparison is made, the compared paths run interleaved in the same process.
/// </summary>
internal static class BenchCommand
{
    /// <summary>Prefix of the line a memory child prints with its peak resident memory.</summary>
    private const string PeakLinePrefix = "peak-resident-bytes ";

    public static Command Create()
    {
        var quick = new Option<bool>("--quick") { Description = "Fewer repeats and smaller sizes: a smoke run of well under a minute." };
        var json = new Option<string?>("--json") { Description = "Write every figure to this JSON file." };
        var encoders = new Option<EncoderKind[]>("--encoder")
        {
            Description = "Encoders to benchmark (repeatable; default both).",
            AllowMultipleArgumentsPerToken = true,
            DefaultValueFactory = _ => new[] { EncoderKind.CompactCnn, EncoderKind.ResNet18 },
        };
        var methods = new Option<string[]>("--method")
        {
            Description = "Methods section only: the methods to time (repeatable; default all).",
            AllowMultipleArgumentsPerToken = true,
            DefaultValueFactory = _ => MethodTrainingBench.Methods,
        };
        methods.AcceptOnlyFromAmong(MethodTrainingBench.Methods);
        var resNetWidth = new Option<int>("--resnet-width") { Description = "ResNet18 base width (64 is the original ResNet-18).", DefaultValueFactory = _ => 32 };
        var batchSize = new Option<int>("--batch-size") { Description = "Images per training step.", DefaultValueFactory = _ => 32 };
        var data = new Option<string>("--data") { Description = "Folder with the Fashion-MNIST IDX .gz files.", DefaultValueFactory = _ => FashionMnist.DefaultDirectory };
        var device = new Option<TrainingDevice>("--device") { Description = "Device for the TorchSharp parts.", DefaultValueFactory = _ => TrainingDevice.Auto };
        // Hidden: tiny sizes for the test suite (seconds, synthetic data, no memory children), and the memory child itself.
        var tiny = new Option<bool>("--tiny") { Hidden = true };
        var memoryChildRows = new Option<int?>("--memory-child-rows") { Hidden = true };
        var memoryChildSteps = new Option<int>("--memory-child-steps") { Hidden = true, DefaultValueFactory = _ => 10 };
        var residencyChild = new Option<bool>("--residency-child") { Hidden = true };
        var sections = new Option<BenchSection[]>("--section")
        {
            Description = "Parts to run (repeatable; default all): Training (SimCLR per encoder, with the reference matmul), Methods (every method per encoder), Inference, Memory (peak, 6k vs 60k images), Residency (resident memory after 50 vs 500 steps).",
            AllowMultipleArgumentsPerToken = true,
            DefaultValueFactory = _ => Enum.GetValues<BenchSection>(),
        };

        var command = new Command("bench", "Measure matmul FLOP/s, training and inference throughput, the parts of a training step and Fit's peak memory; print a table, optionally write JSON.")
        {
            quick, json, encoders, methods, resNetWidth, batchSize, data, device, sections, tiny, memoryChildRows, memoryChildSteps, residencyChild,
        };
        command.SetAction(parse =>
        {
            TextWriter output = parse.InvocationConfiguration.Output;
            if (parse.GetValue(memoryChildRows) is int rows)
            {
                return CommandErrors.Run(() => MemoryChild(rows, parse.GetValue(memoryChildSteps), parse.GetValue(data)!, output), parse.InvocationConfiguration.Error);
            }
            if (parse.GetValue(residencyChild))
            {
                return CommandErrors.Run(() => ResidencyMeasurement.Child(parse.GetValue(quick), parse.GetValue(data)!, output), parse.InvocationConfiguration.Error);
            }
            var settings = new BenchSettings(parse.GetValue(quick), parse.GetValue(tiny), parse.GetValue(json), parse.GetValue(encoders)!,
                                             parse.GetValue(resNetWidth), parse.GetValue(batchSize), parse.GetValue(data)!, parse.GetValue(device),
                                             parse.GetValue(sections)!, parse.GetValue(methods));
            return CommandErrors.Run(() => Run(settings, output), parse.InvocationConfiguration.Error);
        });
        return command;
    }

    /// <summary>The parts of a bench run.</summary>
    internal enum BenchSection
    {
        /// <summary>Reference matmul, SimCLR training throughput and the parts of a step.</summary>
        Training,
        /// <summary>Reference matmul and the training throughput of every method on every encoder.</summary>
        Methods,
        /// <summary>Inference through ML.NET (batched and stock), ONNX Runtime and TorchSharp.</summary>
        Inference,
        /// <summary>Peak resident memory of a short Fit on 6,000 vs 60,000 images.</summary>
        Memory,
        /// <summary>Resident memory after 50 vs 500 training steps.</summary>
        Residency,
    }

    internal sealed record BenchSettings(bool Quick, bool Tiny, string? JsonPath, EncoderKind[] Encoders, int ResNetWidth, int BatchSize,
                                         string DataDirectory, TrainingDevice Device, BenchSection[]? Sections = null, string[]? Methods = null)
    {
        public bool Runs(BenchSection section) => Sections == null || Sections.Contains(section);

        public int Repeats => Tiny ? 2 : Quick ? 3 : 10;
        public int MatmulSize => Tiny ? 64 : Quick ? 1024 : 2048;
        public int InferenceRows => Tiny ? 8 : Quick ? 512 : 2048;
        public int MemorySteps => Quick ? 3 : 10;
    }

    internal static int Run(BenchSettings settings, TextWriter output)
    {
        if (settings.BatchSize < 2) throw new ArgumentException("--batch-size must be at least 2 (SimCLR needs two images to contrast).");
        if (settings.ResNetWidth < 1) throw new ArgumentException("--resnet-width must be positive.");
        if (settings.Encoders.Length == 0) throw new ArgumentException("--encoder needs at least one encoder.");
        // Fail before minutes of work when the data is missing (the error names the apt package).
        if (!settings.Tiny) FashionMnist.Files(train: true, settings.DataDirectory);

        CpuKernelStatus kernels = CpuKernelNotice.Print(output);
        Device device = TrainingDeviceSelector.Select(settings.Device);
        var figures = new Dictionary<string, object?>
        {
            ["command"] = "contrastiveml bench " + string.Join(' ', Environment.GetCommandLineArgs().Skip(1).SkipWhile(a => a != "bench").Skip(1)),
            ["date"] = DateTime.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture),
            ["machine"] = Machine(device, kernels),
            ["repeats"] = settings.Repeats,
            ["quick"] = settings.Quick,
            ["tiny"] = settings.Tiny,
        };
        output.WriteLine($"machine: {kernels.Facts.Model} ({Environment.ProcessorCount} logical CPUs), device {device.type}, libtorch threads {get_num_threads()}");
        output.WriteLine(kernels.Summary);

        if (settings.Runs(BenchSection.Training) || settings.Runs(BenchSection.Methods))
        {
            double matmul = MatmulFlops(settings.MatmulSize, settings.Repeats, device);
            figures["referenceMatmul"] = new Dictionary<string, object?> { ["size"] = settings.MatmulSize, ["flopsPerSecond"] = Math.Round(matmul) };
            output.WriteLine($"reference float32 matmul {settings.MatmulSize}x{settings.MatmulSize}: {matmul / 1e9:F1} GFLOP/s (median of {settings.Repeats})");
            if (settings.Runs(BenchSection.Training)) RunTraining(settings, matmul, figures, output);
            if (settings.Runs(BenchSection.Methods))
            {
                figures["methods"] = MethodTrainingBench.Run(settings, output);
                figures["methodsNote"] = "each method built by its estimator as Fit builds it, with the probe's options (queue and bank sizes, views), on 60,000 rows " +
                                         "(Fashion-MNIST for CompactCnn, generated pixels and labels for ResNet18); trainingFlopsPerImage counts the Conv2d and Linear layers " +
                                         "that ran in a real step (encoder, heads, key encoder), 3x where backward follows and 1x for no-grad work; the losses' own " +
                                         "matrix products (e.g. DenseCL's dense InfoNCE against its queue) are not counted; each row's fraction is against the larger " +
                                         "of two reference matmuls measured just before and after its steps";
            }
        }
        if (settings.Runs(BenchSection.Inference)) RunInference(settings, device, figures, output);
        if (settings.Runs(BenchSection.Memory)) RunMemory(settings, figures, output);
        if (settings.Runs(BenchSection.Residency))
        {
            output.WriteLine();
            if (settings.Tiny)
            {
                figures["residency"] = new Dictionary<string, object?> { ["skipped"] = "tiny run (no Fashion-MNIST child process)" };
                output.WriteLine("residency: skipped (tiny run)");
            }
            else
            {
                figures["residency"] = ResidencyMeasurement.Run(settings.Quick, settings.DataDirectory, output);
            }
        }

        // Busy cores distort every timing above, libtorch's most (its intra-op threads wait for each other at every
        // parallel operator, and on shared cores one of them is often descheduled): say so beside the figures.
        var machine = (Dictionary<string, object?>)figures["machine"]!;
        machine["loadAverageAtEnd"] = File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Trim() : null;
        double? loadStart = LoadAverage(machine["loadAverage"] as string), loadEnd = LoadAverage(machine["loadAverageAtEnd"] as string);
        if (Math.Max(loadStart ?? 0, loadEnd ?? 0) > Environment.ProcessorCount)
        {
            string warning = string.Create(CultureInfo.InvariantCulture,
                $"the 1-minute load average was {loadStart:F1} at the start and {loadEnd:F1} at the end, above the {Environment.ProcessorCount} logical CPUs: other work shared the cores, so these timings are not representative; rerun on a quiet machine");
            figures["warning"] = warning;
            output.WriteLine();
            output.WriteLine("warning: " + warning);
        }

        if (settings.JsonPath != null)
        {
            File.WriteAllText(settings.JsonPath, JsonSerializer.Serialize(figures, new JsonSerializerOptions { WriteIndented = true }));
            output.WriteLine($"figures written to {settings.JsonPath}");
        }
        return 0;
    }

    /// <summary>SimCLR training throughput and the parts of a step per encoder.</summary>
    private static void RunTraining(BenchSettings settings, double matmul, Dictionary<string, object?> figures, TextWriter output)
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

    /// <summary>Inference through ML.NET (batched and stock), ONNX Runtime and TorchSharp's forward variants, the first encoder.</summary>
    private static void RunInference(BenchSettings settings, Device device, Dictionary<string, object?> figures, TextWriter output)
    {
        output.WriteLine();
        Dictionary<string, object?> inference = Inference(settings.Encoders[0], settings, device);
        figures["inference"] = inference;
        output.WriteLine($"inference, random-init {inference["encoder"]} on {inference["rows"]} {inference["input"]} images (median of {settings.Repeats}):");
        output.WriteLine($"  ML.NET pipeline, batched (Transform + cursor; up to {inference["onnxBatchSize"]} rows per session run): {inference["mlNetEmbeddingsPerSecond"],10:F0} embeddings/s");
        output.WriteLine($"  ML.NET pipeline, stock OnnxTransformer (the model loaded by stock ML.NET; a row per run): {inference["mlNetStockEmbeddingsPerSecond"],10:F0} embeddings/s");
        output.WriteLine($"  ONNX Runtime InferenceSession, batches of {inference["onnxBatchSize"]} (same session options):          {inference["onnxEmbeddingsPerSecond"],10:F0} embeddings/s");
        output.WriteLine($"  TorchSharp forward, {inference["torchVariant"]}: {inference["torchEmbeddingsPerSecond"],10:F0} embeddings/s");
        output.WriteLine($"  ratios: ML.NET batched/ONNX {inference["mlNetOverOnnx"]:F2} (goal >= 0.9), ML.NET stock/ONNX {inference["mlNetStockOverOnnx"]:F2}, " +
                         $"ML.NET batched/stock {inference["mlNetOverMlNetStock"]:F2}x, ONNX/TorchSharp {inference["onnxOverTorch"]:F2}x");
        output.WriteLine("  TorchSharp forward variants (same encoder, the first half of the rows, interleaved repeats):");
        foreach (var variant in (List<Dictionary<string, object?>>)inference["torchVariants"]!)
        {
            output.WriteLine($"    {variant["variant"],-62} {variant["embeddingsPerSecond"],10:F0} embeddings/s");
        }
    }

    /// <summary>Peak resident memory of a short Fit on 6,000 and 60,000 images, each in a child process.</summary>
    private static void RunMemory(BenchSettings settings, Dictionary<string, object?> figures, TextWriter output)
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
            long peak = RunMemoryChild(rows, settings.MemorySteps, settings.DataDirectory);
            peaks.Add(new Dictionary<string, object?> { ["rows"] = rows, ["peakResidentBytes"] = peak, ["seconds"] = Math.Round(clock.Elapsed.TotalSeconds, 1) });
            output.WriteLine($"memory: Fit of {settings.MemorySteps} steps (batch 256, CompactCnn) on {rows,6} Fashion-MNIST images: peak resident {peak / 1048576.0:F0} MiB");
        }
        memory["runs"] = peaks;
        memory["ratio60kOver6k"] = Math.Round((double)(long)peaks[1]["peakResidentBytes"]! / (long)peaks[0]["peakResidentBytes"]!, 3);
        figures["memory"] = memory;
        output.WriteLine($"memory: 60,000 / 6,000 images peak ratio {memory["ratio60kOver6k"]:F2} (1.00 = flat with data size)");
    }

    /// <summary>Median FLOP/s of an n x n float32 matmul (2n^3 FLOPs), after one untimed run.</summary>
    internal static double MatmulFlops(int n, int repeats, Device device)
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
        return 2.0 * n * n * n / Median(seconds);
    }

    /// <summary>The input of <paramref name="kind"/>: Fashion-MNIST's 1x28x28 for CompactCnn, CIFAR's 3x32x32 for ResNet18 (8x8 when tiny).</summary>
    internal static ImageShape ShapeFor(EncoderKind kind, BenchSettings settings) =>
        kind == EncoderKind.ResNet18 ? new ImageShape(3, settings.Tiny ? 8 : 32, settings.Tiny ? 8 : 32)
                                     : settings.Tiny ? new ImageShape(1, 8, 8) : FashionMnist.Shape;

    /// <summary>The base width benchmarked for <paramref name="kind"/>: --resnet-width for ResNet18, the default for CompactCnn (small when tiny).</summary>
    internal static int WidthFor(EncoderKind kind, BenchSettings settings) =>
        kind == EncoderKind.ResNet18 ? (settings.Tiny ? 2 : settings.ResNetWidth) : settings.Tiny ? 4 : CompactCnnEncoder.DefaultWidth;

    /// <summary>Encoder, image shape and data for one encoder (see <see cref="BenchImages"/>).</summary>
    private static (ImageEncoder Encoder, ImageShape Shape, IDataView Data, string DataName) Setup(EncoderKind kind, BenchSettings settings, MLContext ml, int rows)
    {
        ImageShape shape = ShapeFor(kind, settings);
        manual_seed(1);
        ImageEncoder encoder = EncoderFactory.Create(kind, shape, WidthFor(kind, settings));
        (IDataView data, string dataName) = BenchImages(kind, settings, ml, shape, rows);
        return (encoder, shape, data, dataName);
    }

    /// <summary>The images one encoder is benchmarked on: Fashion-MNIST for CompactCnn (streamed from the IDX files), else random pixels of <paramref name="shape"/>.</summary>
    private static (IDataView Data, string DataName) BenchImages(EncoderKind kind, BenchSettings settings, MLContext ml, ImageShape shape, int rows) =>
        kind == EncoderKind.CompactCnn && !settings.Tiny
            ? (FashionMnist.Load(ml, train: true, settings.DataDirectory, rows), "Fashion-MNIST train (streamed, gzip)")
            : (SyntheticPixels(ml, shape, rows), "random pixels (in memory)");

    /// <summary>One encoder's SimCLR step: images/s, achieved FLOP/s and the median time of each part of a step.</summary>
    private static Dictionary<string, object?> TrainingStep(EncoderKind kind, BenchSettings settings, double matmulFlops)
    {
        var ml = new MLContext(1);
        int warmup = 2, steps = settings.Repeats;
        int batch = settings.BatchSize;
        ImageShape shape = ShapeFor(kind, settings);
        // Rows for every step in one epoch, so no timed step restarts the cursor and refills the shuffle buffer.
        (IDataView data, string dataName) = BenchImages(kind, settings, ml, shape, batch * (warmup + steps + 1));
        // The SimCLR defaults, built as Fit builds them.
        var estimator = ml.Transforms.SimClr(new SimClrOptions
        {
            InputColumnName = "Pixels", OutputColumnName = "Embedding", ImageShape = shape, Encoder = kind, EncoderWidth = WidthFor(kind, settings),
            BatchSize = batch, Seed = 1, Device = settings.Device,
            // A small shuffle buffer (filled during the warm-up steps): an epoch here is a few batches, and the default
            // 10,000-row buffer would be all of it. Per batch, reading then costs what it costs in steady-state training.
            ShuffleBufferSize = 2 * batch,
        });
        using TrainingSetup setup = ((ITrainingSetupSource)estimator).PrepareTraining(data, seed: 1);
        long forwardFlops = FlopCounter.CountForward(setup.Encoder);
        TrainingStepTimings timings = TrainingStepTimings.Measure(setup, warmup, steps);
        List<double> read = timings.Read, views = timings.Views, forwardBackward = timings.ForwardBackward, step = timings.Optimizer, total = timings.Total;

        double imagesPerSecond = batch / Median(total);
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
                ["read"] = Math.Round(1000 * Median(read), 3),
                ["views"] = Math.Round(1000 * Median(views), 3),
                ["forwardBackward"] = Math.Round(1000 * Median(forwardBackward), 3),
                ["optimizer"] = Math.Round(1000 * Median(step), 3),
                ["total"] = Math.Round(1000 * Median(total), 3),
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

    /// <summary>
    /// Embeddings/s of one random-init encoder through ML.NET (the fitted transformer, which batches, and the same model
    /// loaded by stock ML.NET, which runs a row per session call), ONNX Runtime directly on batches of 256 (the same
    /// session options as the batched ML.NET path), and TorchSharp's forward in several configurations.
    /// </summary>
    private static Dictionary<string, object?> Inference(EncoderKind kind, BenchSettings settings, Device device)
    {
        var ml = new MLContext(1);
        int rows = settings.InferenceRows;
        const int onnxBatch = BatchedOnnxScorer.DefaultBatchRows;
        (ImageEncoder encoder, ImageShape shape, IDataView source, string dataName) = Setup(kind, settings, ml, rows);
        using ImageEncoder disposeEncoder = encoder;
        // The same rows for every path, in memory, so no path pays for gzip decoding.
        float[] pixels = ml.Data.CreateEnumerable<PixelRow>(source, reuseRowObject: false, schemaDefinition: RowSchema(shape))
                           .SelectMany(r => r.Pixels).ToArray();
        rows = pixels.Length / shape.Size;
        IDataView data = ml.Data.LoadFromEnumerable(Enumerable.Range(0, rows).Select(i => new PixelRow { Pixels = pixels.AsSpan(i * shape.Size, shape.Size).ToArray() }).ToList(), RowSchema(shape));

        // ML.NET: an estimator fitted with no training steps exports its random-init encoder (after the parity check).
        ContrastiveEncoderTransformer transformer = ml.Transforms.SimClr(new SimClrOptions
        {
            InputColumnName = "Pixels", OutputColumnName = "Embedding", ImageShape = shape, Encoder = kind,
            EncoderWidth = encoder.BaseWidth, MaxSteps = 0, Seed = 1, BatchSize = Math.Min(256, rows), Device = settings.Device,
        }).Fit(data);
        // The same model saved and loaded with stock ML.NET: its OnnxTransformer runs one row per session call.
        ITransformer stock;
        using (var zip = new MemoryStream())
        {
            ml.Model.Save(transformer, data.Schema, zip);
            zip.Position = 0;
            stock = ml.Model.Load(zip, out _);
        }
        // ONNX Runtime directly on the exported bytes (raw pixels in, normalisation baked into the graph).
        byte[] onnxModel = transformer.GetOnnxModel();
        using InferenceSession session = OnnxScoringSession.Create(onnxModel);
        void Onnx()
        {
            for (int start = 0; start < rows; start += onnxBatch)
            {
                int count = Math.Min(onnxBatch, rows - start);
                OnnxParity.Run(session, pixels.AsSpan(start * shape.Size, count * shape.Size).ToArray(), count);
            }
        }
        // TorchSharp forward (a random-init encoder of the same architecture; the weights don't change the cost).
        // The inference configuration: eval mode under inference_mode, batches as ONNX Runtime's.
        encoder.to(device);
        var inference = new TorchForward(TrainMode: false, TorchGrad.InferenceMode, onnxBatch);

        // Interleaved (each repeat runs every path once), so a change in the machine's load hits all paths alike.
        List<double>[] paths = RepeatInterleaved(settings.Repeats,
            () => ScoreAll(transformer, data), () => ScoreAll(stock, data), Onnx, () => inference.Run(encoder, pixels, shape, rows, device));
        (double mlNet, double mlNetStock, double onnx, double torchSeconds) = (Median(paths[0]), Median(paths[1]), Median(paths[2]), Median(paths[3]));
        (stock as IDisposable)?.Dispose();

        // Where TorchSharp's inference time goes: autograd mode, batch size, threads, BatchNorm path, and the training
        // forward (train mode, autograd recording, 64 views = batch 32 x 2) for comparison. Half the rows, fewer repeats.
        TorchForward[] configurations =
        {
            inference,
            inference with { Grad = TorchGrad.NoGrad },
            inference with { BatchSize = 64 },
            inference with { Grad = TorchGrad.NoGrad, BatchSize = 64 },
            inference with { Threads = 1 },
            inference with { TrainMode = true, Grad = TorchGrad.NoGrad },
            new TorchForward(TrainMode: true, TorchGrad.Autograd, 64),
        };
        int variantRows = Math.Max(1, rows / 2);
        List<double>[] variantSeconds = RepeatInterleaved(Math.Max(2, settings.Repeats / 2),
            configurations.Select(c => (Action)(() => c.Run(encoder, pixels, shape, variantRows, device))).ToArray());
        encoder.eval();
        var variants = configurations.Select((c, i) => new Dictionary<string, object?>
        {
            ["variant"] = c.ToString(),
            ["train"] = c.TrainMode,
            ["grad"] = c.Grad.ToString(),
            ["batchSize"] = c.BatchSize,
            ["threads"] = c.Threads ?? get_num_threads(),
            ["rows"] = variantRows,
            ["embeddingsPerSecond"] = Math.Round(variantRows / Median(variantSeconds[i]), 1),
        }).ToList();

        return new Dictionary<string, object?>
        {
            ["encoder"] = $"{kind} w{encoder.BaseWidth}",
            ["weights"] = "random-init (no training steps); throughput does not depend on the weights",
            ["input"] = $"{shape.Channels}x{shape.Height}x{shape.Width}",
            ["data"] = dataName + ", copied into memory first",
            ["rows"] = rows,
            ["onnxBatchSize"] = onnxBatch,
            ["onnxSession"] = "OnnxScoringSession: ORT_ENABLE_ALL, sequential, 1 inter-op thread, ONNX Runtime's default intra-op threads (one per physical core)",
            ["mlNetEmbeddingsPerSecond"] = Math.Round(rows / mlNet, 1),
            ["mlNetStockEmbeddingsPerSecond"] = Math.Round(rows / mlNetStock, 1),
            ["onnxEmbeddingsPerSecond"] = Math.Round(rows / onnx, 1),
            ["torchEmbeddingsPerSecond"] = Math.Round(rows / torchSeconds, 1),
            ["torchVariant"] = inference.ToString(),
            ["torchVariants"] = variants,
            ["mlNetOverOnnx"] = Math.Round(onnx / mlNet, 3),
            ["mlNetStockOverOnnx"] = Math.Round(onnx / mlNetStock, 3),
            ["mlNetOverMlNetStock"] = Math.Round(mlNetStock / mlNet, 3),
            ["onnxOverMlNet"] = Math.Round(mlNet / onnx, 3),
            ["torchOverMlNet"] = Math.Round(mlNet / torchSeconds, 3),
            ["onnxOverTorch"] = Math.Round(torchSeconds / onnx, 3),
        };
    }

    /// <summary>Transform and a cursor over the embedding column only, every row read.</summary>
    private static void ScoreAll(ITransformer model, IDataView data)
    {
        IDataView scored = model.Transform(data);
        using DataViewRowCursor cursor = scored.GetRowCursor(scored.Schema.Where(c => c.Name == "Embedding"));
        ValueGetter<VBuffer<float>> getter = cursor.GetGetter<VBuffer<float>>(scored.Schema["Embedding"]);
        VBuffer<float> embedding = default;
        while (cursor.MoveNext()) getter(ref embedding);
    }

    /// <summary>The memory child: a short SimCLR Fit on the first <paramref name="rows"/> training images, then its peak resident memory.</summary>
    private static int MemoryChild(int rows, int steps, string dataDirectory, TextWriter output)
    {
        var ml = new MLContext(1);
        IDataView train = FashionMnist.Load(ml, train: true, dataDirectory, rows);
        ml.Transforms.SimClr(new SimClrOptions
        {
            InputColumnName = "Pixels", OutputColumnName = "Embedding", ImageShape = FashionMnist.Shape, Encoder = EncoderKind.CompactCnn,
            MaxSteps = steps, BatchSize = 256, Seed = 1, Device = TrainingDevice.Cpu,
        }).Fit(train);
        output.WriteLine(PeakLinePrefix + PeakResidentBytes().ToString(CultureInfo.InvariantCulture));
        return 0;
    }

    /// <summary>Runs this program as a memory child and returns the peak resident bytes it reports.</summary>
    private static long RunMemoryChild(int rows, int steps, string dataDirectory)
    {
        string text = RunChild($"the memory measurement on {rows} images", "--memory-child-rows", rows.ToString(CultureInfo.InvariantCulture),
                               "--memory-child-steps", steps.ToString(CultureInfo.InvariantCulture), "--data", dataDirectory);
        string line = text.Split('\n').FirstOrDefault(l => l.StartsWith(PeakLinePrefix, StringComparison.Ordinal))
                      ?? throw new InvalidOperationException($"The memory measurement on {rows} images printed no '{PeakLinePrefix.Trim()}' line.");
        return long.Parse(line[PeakLinePrefix.Length..].Trim(), CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// Runs this program's <c>bench</c> with <paramref name="arguments"/> in a child process (its own heap and
    /// allocator, so one measurement's memory does not mix with another's) and returns its standard output.
    /// </summary>
    internal static string RunChild(string description, params string[] arguments)
    {
        string processPath = Environment.ProcessPath ?? throw new InvalidOperationException($"Cannot find this program's path to start {description}.");
        var start = new ProcessStartInfo(processPath) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        // Under `dotnet contrastiveml.dll`, the process is the dotnet host: pass the assembly first.
        if (Path.GetFileNameWithoutExtension(processPath) == "dotnet") start.ArgumentList.Add(typeof(BenchCommand).Assembly.Location);
        start.ArgumentList.Add("bench");
        foreach (string argument in arguments) start.ArgumentList.Add(argument);
        using Process child = Process.Start(start) ?? throw new InvalidOperationException($"Could not start '{processPath}' for {description}.");
        Task<string> error = child.StandardError.ReadToEndAsync();
        string text = child.StandardOutput.ReadToEnd();
        child.WaitForExit();
        if (child.ExitCode != 0) throw new InvalidOperationException($"{description} failed (exit {child.ExitCode}): {error.Result.Trim()}");
        return text;
    }

    /// <summary>This process's peak resident set (VmHWM in /proc/self/status) in bytes; the current working set where /proc is missing.</summary>
    internal static long PeakResidentBytes()
    {
        const string path = "/proc/self/status";
        if (File.Exists(path))
        {
            foreach (string line in File.ReadLines(path))
            {
                if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                {
                    return 1024 * long.Parse(line["VmHWM:".Length..].Replace("kB", "", StringComparison.Ordinal).Trim(), CultureInfo.InvariantCulture);
                }
            }
        }
        using Process self = Process.GetCurrentProcess();
        return self.PeakWorkingSet64;
    }

    private static Dictionary<string, object?> Machine(Device device, CpuKernelStatus kernels) => new()
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
    internal static double? LoadAverage(string? loadavg = null)
    {
        loadavg ??= File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg") : null;
        string? first = loadavg?.Split(' ', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault();
        return double.TryParse(first, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) ? value : null;
    }

    private static IDataView SyntheticPixels(MLContext ml, ImageShape shape, int rows)
    {
        var random = new Random(1);
        var list = new List<PixelRow>(rows);
        for (int i = 0; i < rows; i++)
        {
            var values = new float[shape.Size];
            for (int j = 0; j < values.Length; j++) values[j] = random.Next(256);
            list.Add(new PixelRow { Pixels = values });
        }
        return ml.Data.LoadFromEnumerable(list, RowSchema(shape));
    }

    private static SchemaDefinition RowSchema(ImageShape shape)
    {
        SchemaDefinition schema = SchemaDefinition.Create(typeof(PixelRow));
        schema[nameof(PixelRow.Pixels)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, shape.Size);
        return schema;
    }

    /// <summary>
    /// Seconds per run of each action over <paramref name="repeats"/> rounds that run every action once, in order,
    /// after one untimed round (warm-up).
    /// </summary>
    private static List<double>[] RepeatInterleaved(int repeats, params Action[] actions)
    {
        foreach (Action action in actions) action();
        List<double>[] seconds = actions.Select(_ => new List<double>()).ToArray();
        for (int r = 0; r < repeats; r++)
        {
            for (int i = 0; i < actions.Length; i++)
            {
                long start = Stopwatch.GetTimestamp();
                actions[i]();
                seconds[i].Add(Stopwatch.GetElapsedTime(start).TotalSeconds);
            }
        }
        return seconds;
    }

    /// <summary>
    /// The reader's batches, epoch after epoch (a new shuffle each time), without end: a timing loop takes as many steps
    /// as it needs whatever the data's size. The data must give at least one batch per epoch.
    /// </summary>
    internal static IEnumerable<PixelBatch> BatchesAcrossEpochs(PixelBatchReader reader, int batchSize, Random random)
    {
        while (true)
        {
            bool any = false;
            foreach (PixelBatch batch in reader.ReadEpoch(batchSize, random))
            {
                any = true;
                yield return batch;
            }
            if (!any) throw new InvalidOperationException("The data gave no batch in an epoch.");
        }
    }

    internal static double Seconds(long from, long to) => (to - from) / (double)Stopwatch.Frequency;

    internal static double Median(IReadOnlyCollection<double> values)
    {
        double[] sorted = values.Order().ToArray();
        int middle = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
    }

    internal static void Synchronize(Device device)
    {
        if (device.type == DeviceType.CUDA) cuda.synchronize();
    }

    /// <summary>One row of pixels, for the in-memory data views.</summary>
    private sealed class PixelRow
    {
        public float[] Pixels { get; set; } = Array.Empty<float>();
    }
}
