using ContrastiveML.Data;
using ContrastiveML.Onnx;

namespace ContrastiveML.Training;

/// <summary>
/// The one normalisation of a Fit, <c>(x · Scale − Mean[c]) / Std[c]</c>, from which training
/// (<see cref="TrainingNormalization"/>: the scale before the views are made, mean and std after), the ONNX parity
/// check's reference (<see cref="OnnxInputNormalization.Apply"/>) and the exported graph all derive.
/// </summary>
internal static class InputNormalization
{
    /// <summary>
    /// The pixel scale, then the data's per-channel mean and standard deviation; or, for a method whose encoder reads
    /// [0, 1] pixels and normalises them itself (CMC's view split), the pixel scale alone (mean 0, std 1).
    /// </summary>
    public static OnnxInputNormalization For(float pixelScale, PixelStatistics statistics, bool readsUnitPixels) =>
        readsUnitPixels
            ? new OnnxInputNormalization(pixelScale, new float[statistics.Mean.Length], Enumerable.Repeat(1f, statistics.Std.Length).ToArray())
            : new OnnxInputNormalization(pixelScale, statistics.Mean, statistics.Std);
}
