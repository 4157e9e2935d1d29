using ContrastiveML.Methods;
using ContrastiveML.Methods.CommandLine;
using Microsoft.ML;

namespace ContrastiveML.Samples.Probing;

/// <summary>The probe's estimator: the method's options as <c>probe</c> sets them (from its descriptor), with the run's common settings.</summary>
internal static class ProbeEstimator
{
    /// <summary>The method's options for <paramref name="settings"/>: the probe's defaults, the given method options and the common settings.</summary>
    public static ContrastiveEncoderOptions Options(ProbeSettings settings)
    {
        MethodDescriptor method = settings.Descriptor;
        ContrastiveEncoderOptions options = method.CreateOptions(new MethodCliContext(MethodCommands.Probe, FashionMnist.Shape, settings.BatchSize), settings.MethodOptions);
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
        return options;
    }

    /// <summary>The estimator of <see cref="Options"/>, after <paramref name="adjust"/> (progress, cancellation, a bench's shape) changed them.</summary>
    public static IEstimator<ContrastiveEncoderTransformer> Create(MLContext ml, ProbeSettings settings, Action<ContrastiveEncoderOptions> adjust)
    {
        ContrastiveEncoderOptions options = Options(settings);
        adjust(options);
        return MethodRegistry.For(options).CreateEstimator(ml, options);
    }
}
