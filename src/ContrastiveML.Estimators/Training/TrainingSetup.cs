using ContrastiveML.Data;
using ContrastiveML.Encoders;
using Microsoft.ML;
using static TorchSharp.torch;

namespace ContrastiveML.Training;

/// <summary>
/// What one Fit trains, built from the data the way Fit builds it: the pixel column (after the stock pixel extractor
/// when the input is images), the data's statistics and label column, the batch size, the encoder and the method on
/// the training device, and the batch reader. Fit trains and exports it; the benchmark times steps of the very same
/// objects, so its figures are those of Fit's training loop. Owns the encoder and the method (native memory).
/// </summary>
internal sealed class TrainingSetup : IDisposable
{
    public TrainingSetup(ContrastiveEncoderOptions options, int seed, IDataView pixels, string pixelColumn, ITransformer? extractor,
                         PixelStatistics statistics, LabelColumn? labels, int batchSize, Device device,
                         ImageEncoder encoder, IContrastiveMethod method, PixelBatchReader reader)
    {
        Options = options;
        Seed = seed;
        Pixels = pixels;
        PixelColumn = pixelColumn;
        Extractor = extractor;
        Statistics = statistics;
        Labels = labels;
        BatchSize = batchSize;
        Device = device;
        Encoder = encoder;
        Method = method;
        Reader = reader;
    }

    /// <summary>The estimator's options (validated).</summary>
    public ContrastiveEncoderOptions Options { get; }

    /// <summary>The Fit's seed: the options' or one drawn from the ML.NET environment.</summary>
    public int Seed { get; }

    /// <summary>The data with the planar CHW pixel column <see cref="PixelColumn"/>.</summary>
    public IDataView Pixels { get; }

    /// <summary>The float-vector pixel column training reads: the input column, or the extractor's output for images.</summary>
    public string PixelColumn { get; }

    /// <summary>The stock pixel extractor fitted on image input; null when the input column holds pixels already.</summary>
    public ITransformer? Extractor { get; }

    /// <summary>Row count and per-channel mean and standard deviation of the scaled pixels.</summary>
    public PixelStatistics Statistics { get; }

    /// <summary>The label column a supervised method reads; null for none.</summary>
    public LabelColumn? Labels { get; }

    /// <summary>Images per batch: the options' batch size, or the row count when the data is smaller.</summary>
    public int BatchSize { get; }

    /// <summary>The training device (CUDA when requested or available, else the CPU).</summary>
    public Device Device { get; }

    /// <summary>The encoder whose embedding is exported.</summary>
    public ImageEncoder Encoder { get; }

    /// <summary>The method (encoder, heads, loss), already on <see cref="Device"/>.</summary>
    public IContrastiveMethod Method { get; }

    /// <summary>Streams shuffled (or class-balanced) batches of <see cref="PixelColumn"/>.</summary>
    public PixelBatchReader Reader { get; }

    public void Dispose()
    {
        Method.Dispose();
        Encoder.Dispose();
    }
}

/// <summary>An estimator that can build its <see cref="TrainingSetup"/> without training (the benchmark's way in).</summary>
internal interface ITrainingSetupSource
{
    /// <summary>What Fit would train on <paramref name="input"/> with seed <paramref name="seed"/>; the caller disposes it.</summary>
    TrainingSetup PrepareTraining(IDataView input, int seed);
}
