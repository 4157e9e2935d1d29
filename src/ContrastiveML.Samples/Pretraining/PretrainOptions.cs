using ContrastiveML.Methods;
using ContrastiveML.Methods.CommandLine;
using ContrastiveML.Samples.Images;

namespace ContrastiveML.Samples.Pretraining;

/// <summary>The method's options as <c>pretrain</c> builds them: the method's pretrain defaults (from its descriptor), then the choices made from the data.</summary>
internal static class PretrainOptions
{
    /// <summary>
    /// Whether the method reads labels in <c>pretrain</c> with the given options. The label column is a command default,
    /// independent of the image shape and batch, so the options are built for a placeholder shape and batch.
    /// </summary>
    public static bool UsesLabels(MethodDescriptor method, MethodCliValues given) =>
        method.UsesLabels(method.CreateOptions(new MethodCliContext(MethodCommands.Pretrain, FashionMnist.Shape, BatchSize: 2), given));

    /// <summary>
    /// The options of the chosen method for images of <paramref name="shape"/>, with <paramref name="choices"/> filled
    /// in: the temperature and crop scale chosen (or given) go to the methods that take them in pretrain.
    /// </summary>
    public static ContrastiveEncoderOptions Create(PretrainSettings settings, PretrainChoices choices, ImageShape shape, ProgressDisplay progress)
    {
        int batchSize = choices.BatchSize.Value;
        MethodCliValues values = settings.MethodOptions.Copy()
            .Set(MethodCliOptions.Temperature, choices.Temperature.Value)
            .Set(MethodCliOptions.CropScaleMin, choices.CropScaleMin.Value);
        ContrastiveEncoderOptions options = settings.Descriptor.CreateOptions(new MethodCliContext(MethodCommands.Pretrain, shape, batchSize), values);
        options.ImageShape = shape;
        options.OutputColumnName = ModelColumns.Embedding;
        options.Encoder = settings.Encoder;
        options.EncoderWidth = settings.Width;
        options.EncoderPooling = choices.Pooling.Value;
        options.Epochs = choices.Epochs.Value;
        options.MaxMinutes = settings.Minutes;
        options.MaxSteps = settings.MaxSteps;
        options.BatchSize = batchSize;
        options.Seed = settings.Seed;
        options.Device = settings.Device;
        options.Progress = progress;
        options.ProgressIntervalSeconds = progress.IntervalSeconds;
        options.LearningRate = choices.LearningRate.Value;
        options.CheckpointDirectory = settings.CheckpointDirectory;
        options.CheckpointEverySteps = settings.CheckpointEvery;
        return options;
    }
}
