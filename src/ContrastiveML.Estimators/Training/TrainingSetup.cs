using ContrastiveML.Data;
using ContrastiveML.Encoders;
using Microsoft.ML;
using static TorchSharp.torch;

namespace ContrastiveML.Training;

/// <summary>
/// What one Fit trains, built from the data the way Fit builds it: the pixel column (after the stock pixel extractor
/// when the input is images), the data's statistics, the batch size, the encoder and the method on the training
/// device, and the batch reader (which carries the labels). Fit trains and exports it; the benchmark times steps of the
/// very same objects, so its figures are those of Fit's training loop. Owns the encoder and the method (native memory).
/// </summary>
/// <param name="Options">The estimator's options (validated).</param>
/// <param name="Pixels">The data with the planar CHW pixel column <paramref name="PixelColumn"/>.</param>
/// <param name="PixelColumn">The float-vector pixel column training reads: the input column, or the extractor's output for images.</param>
/// <param name="Extractor">The stock pixel extractor fitted on image input; null when the input column holds pixels already.</param>
/// <param name="Statistics">Row count and per-channel mean and standard deviation of the scaled pixels.</param>
/// <param name="Normalization">The Fit's one input normalisation: training, the parity check and export derive from it.</param>
/// <param name="BatchSize">Images per batch: the options' batch size, or the row count when the data is smaller.</param>
/// <param name="Device">The training device (CUDA when requested or available, else the CPU).</param>
/// <param name="Encoder">The encoder whose embedding is exported.</param>
/// <param name="Method">The method (encoder, heads, loss), already on <paramref name="Device"/>.</param>
/// <param name="Reader">Streams shuffled (or class-balanced) batches of <paramref name="PixelColumn"/>.</param>
/// <param name="Evaluator">Evaluates the encoder on held-out images during training; null without <see cref="ContrastiveEncoderOptions.Evaluation"/>.</param>
internal sealed record TrainingSetup(ContrastiveEncoderOptions Options, IDataView Pixels, string PixelColumn, ITransformer? Extractor,
                                     PixelStatistics Statistics, Onnx.OnnxInputNormalization Normalization, int BatchSize, Device Device,
                                     ImageEncoder Encoder, IContrastiveMethod Method, PixelBatchReader Reader,
                                     Evaluation.OnlineEvaluator? Evaluator = null) : IDisposable
{
    /// <summary>Releases the method, the encoder and the evaluator's tensors.</summary>
    public void Dispose()
    {
        Evaluator?.Dispose();
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
