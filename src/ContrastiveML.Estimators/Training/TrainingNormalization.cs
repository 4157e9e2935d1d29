using ContrastiveML.Onnx;
using static TorchSharp.torch;

namespace ContrastiveML.Training;

/// <summary>
/// A Fit's <see cref="OnnxInputNormalization"/> on the training device: the pixel scale applied to raw batches, and
/// (images − mean) / std per channel applied to the views (<see cref="ContrastiveBatch.Normalize"/>). Owns its two
/// [1, C, 1, 1] tensors.
/// </summary>
internal sealed class TrainingNormalization : IDisposable
{
    private readonly Tensor _mean;
    private readonly Tensor _std;

    public TrainingNormalization(OnnxInputNormalization normalization, Device device)
    {
        ArgumentNullException.ThrowIfNull(normalization);
        int channels = normalization.Mean.Length;
        Scale = normalization.Scale;
        _mean = tensor(normalization.Mean, new long[] { 1, channels, 1, 1 }).to(device);
        _std = tensor(normalization.Std, new long[] { 1, channels, 1, 1 }).to(device);
    }

    /// <summary>The factor taking raw pixels to [0, 1], applied before the views are made.</summary>
    public float Scale { get; }

    /// <summary>Normalises [0, 1]-scaled images [N, C, H, W]: what <see cref="ContrastiveBatch.Normalize"/> does.</summary>
    public Tensor Apply(Tensor images) => images.sub(_mean).div(_std);

    public void Dispose()
    {
        _mean.Dispose();
        _std.Dispose();
    }
}
