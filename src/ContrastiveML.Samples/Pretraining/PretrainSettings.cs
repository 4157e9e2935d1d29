using ContrastiveML.Encoders;
using ContrastiveML.Methods;
using ContrastiveML.Methods.CommandLine;
using ContrastiveML.Samples.Commands;
using ContrastiveML.Samples.Images;
using ContrastiveML.Training;

namespace ContrastiveML.Samples.Pretraining;

/// <summary>What a pretrain run does, as given on the command line; null where <see cref="PretrainDefaults"/> chooses from the data.</summary>
internal sealed class PretrainSettings
{
    /// <summary>Folder of images (one of <see cref="Images"/> and <see cref="Idx"/>).</summary>
    public string? Images { get; init; }

    /// <summary>Folder of Fashion-MNIST IDX files (one of <see cref="Images"/> and <see cref="Idx"/>).</summary>
    public string? Idx { get; init; }

    /// <summary>The method's command-line name (<c>--method</c>).</summary>
    public string Method { get; init; } = "simclr";

    /// <summary>The method options given on the command line; the rest take pretrain's defaults.</summary>
    public MethodCliValues MethodOptions { get; init; } = MethodCliValues.None;

    public int? Epochs { get; init; }

    public double? Minutes { get; init; }

    public int? MaxSteps { get; init; }

    public EncoderKind Encoder { get; init; } = EncoderKind.CompactCnn;

    public int Width { get; init; }

    public EmbeddingPooling? Pooling { get; init; }

    /// <summary>HEIGHTxWIDTH as given; null to choose from the images.</summary>
    public string? Size { get; init; }

    public int? Channels { get; init; }

    public int? BatchSize { get; init; }

    public double? LearningRate { get; init; }

    public int Seed { get; init; } = 1;

    public int? Limit { get; init; }

    public TrainingDevice Device { get; init; } = TrainingDevice.Auto;

    /// <summary>The model zip to write.</summary>
    public string Out { get; init; } = "";

    public string? OnnxPath { get; init; }

    public BadFilePolicy OnBadFile { get; init; } = BadFilePolicy.Fail;

    public string? PlotsDirectory { get; init; }

    public string? CheckpointDirectory { get; init; }

    public int CheckpointEvery { get; init; } = CommonOptions.DefaultCheckpointEvery;

    public string? EvalImages { get; init; }

    public int? EvalEvery { get; init; }

    public bool NoEval { get; init; }

    public string? JsonPath { get; init; }

    /// <summary><c>--crop-scale-min</c> as given; null to choose from the images.</summary>
    public double? CropScaleMin => MethodOptions.Find(MethodCliOptions.CropScaleMin) as double?;

    /// <summary><c>--temperature</c> as given; null for pretrain's default.</summary>
    public double? Temperature => MethodOptions.Find(MethodCliOptions.Temperature) as double?;

    /// <summary>The method <see cref="Method"/> names.</summary>
    public MethodDescriptor Descriptor => MethodRegistry.FindByCliName(Method) ?? throw new ArgumentException(
        $"--method takes {string.Join(", ", MethodRegistry.All().Select(m => m.CliName))}; found '{Method}'.");
}
