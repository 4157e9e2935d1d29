using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using ContrastiveML.Encoders;
using ContrastiveML.NativeKernels;
using ContrastiveML.Samples.Benchmarks;
using ContrastiveML.Training;
using static TorchSharp.torch;

namespace ContrastiveML.Samples.Commands;

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
            DefaultValueFactory = _ => MethodsSection.Methods,
        };
        methods.AcceptOnlyFromAmong(MethodsSection.Methods);
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
                return CommandErrors.Run(() => MemorySection.Child(rows, parse.GetValue(memoryChildSteps), parse.GetValue(data)!, output), parse.InvocationConfiguration.Error);
            }
            if (parse.GetValue(residencyChild))
            {
                return CommandErrors.Run(() => ResidencySection.Child(parse.GetValue(quick), parse.GetValue(data)!, output), parse.InvocationConfiguration.Error);
            }
            var settings = new BenchSettings(parse.GetValue(quick), parse.GetValue(tiny), parse.GetValue(json), parse.GetValue(encoders)!,
                                             parse.GetValue(resNetWidth), parse.GetValue(batchSize), parse.GetValue(data)!, parse.GetValue(device),
                                             parse.GetValue(sections)!, parse.GetValue(methods));
            return CommandErrors.Run(() => Run(settings, output), parse.InvocationConfiguration.Error);
        });
        return command;
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
            ["machine"] = MachineFacts.Describe(device, kernels),
            ["repeats"] = settings.Repeats,
            ["quick"] = settings.Quick,
            ["tiny"] = settings.Tiny,
        };
        output.WriteLine($"machine: {kernels.Facts.Model} ({Environment.ProcessorCount} logical CPUs), device {device.type}, libtorch threads {get_num_threads()}");
        output.WriteLine(kernels.Summary);

        if (settings.Runs(BenchSection.Training) || settings.Runs(BenchSection.Methods))
        {
            double matmul = ReferenceMatmul.FlopsPerSecond(settings.MatmulSize, settings.Repeats, device);
            figures["referenceMatmul"] = new Dictionary<string, object?> { ["size"] = settings.MatmulSize, ["flopsPerSecond"] = Math.Round(matmul) };
            output.WriteLine($"reference float32 matmul {settings.MatmulSize}x{settings.MatmulSize}: {matmul / 1e9:F1} GFLOP/s (median of {settings.Repeats})");
            if (settings.Runs(BenchSection.Training)) TrainingSection.Run(settings, matmul, figures, output);
            if (settings.Runs(BenchSection.Methods))
            {
                figures["methods"] = MethodsSection.Run(settings, output);
                figures["methodsNote"] = "each method built by its estimator as Fit builds it, with the probe's options (queue and bank sizes, views), on 60,000 rows " +
                                         "(Fashion-MNIST for CompactCnn, generated pixels and labels for ResNet18); trainingFlopsPerImage counts the Conv2d and Linear layers " +
                                         "that ran in a real step (encoder, heads, key encoder), 3x where backward follows and 1x for no-grad work; the losses' own " +
                                         "matrix products (e.g. DenseCL's dense InfoNCE against its queue) are not counted; each row's fraction is against the larger " +
                                         "of two reference matmuls measured just before and after its steps";
            }
        }
        if (settings.Runs(BenchSection.Inference)) InferenceSection.Run(settings, device, figures, output);
        if (settings.Runs(BenchSection.Memory)) MemorySection.Run(settings, figures, output);
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
                figures["residency"] = ResidencySection.Run(settings.Quick, settings.DataDirectory, output);
            }
        }

        // Busy cores distort every timing above, libtorch's most (its intra-op threads wait for each other at every
        // parallel operator, and on shared cores one of them is often descheduled): say so beside the figures.
        var machine = (Dictionary<string, object?>)figures["machine"]!;
        machine["loadAverageAtEnd"] = File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Trim() : null;
        double? loadStart = MachineFacts.LoadAverage(machine["loadAverage"] as string), loadEnd = MachineFacts.LoadAverage(machine["loadAverageAtEnd"] as string);
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
}
