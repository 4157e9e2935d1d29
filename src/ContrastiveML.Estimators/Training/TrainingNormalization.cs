using ContrastiveML.Data;
using static TorchSharp.torch;

namespace ContrastiveML.Training;

/// <summary>
/// The training loop's input normalisation on the training device: (images − mean) / std per channel, with the data's
/// scanned statistics (the values the exported graph applies too, see <see cref="Onnx.OnnxInputNormalization"/>).
/// Owns its two [1, C, 1, 1] tensors.
/// </summary>
internal sealed class TrainingNormalization : IDisposable
{
    private readonly Tensor _mean;
    private readonly Tensor _std;

    public TrainingNormalization(PixelStatistics statistics, ImageShape shape, Device device)
    {
        _mean = tensor(statistics.Mean, new long[] { 1, shape.Channels, 1, 1 }).to(device);
        _std = tensor(statistics.Std, new long[] { 1, shape.Channels, 1, 1 }).to(device);
    }

    /// <summary>Normalises [0, 1]-scaled images [N, C, H, W]: what <see cref="ContrastiveBatch.Normalize"/> does.</summary>
    public Tensor Apply(Tensor images) => images.sub(_mean).div(_std);

    public void Dispose()
    {
        _mean.Dispose();
        _std.Dispose();
    }
}
