using static TorchSharp.torch;

namespace ContrastiveML.Onnx;

/// <summary>
/// Per-channel input normalization baked into an exported graph: <c>y[c] = (x * Scale - Mean[c]) / Std[c]</c>,
/// e.g. <c>Scale = 1/255</c> for byte-valued pixels followed by dataset mean and standard deviation.
/// </summary>
/// <param name="Scale">Factor applied to the raw pixel values first.</param>
/// <param name="Mean">Per-channel mean subtracted after scaling (one value per channel).</param>
/// <param name="Std">Per-channel standard deviation divided by last (one positive value per channel).</param>
public sealed record OnnxInputNormalization(float Scale, float[] Mean, float[] Std)
{
    /// <summary>The normalization that leaves <paramref name="channels"/>-channel input unchanged.</summary>
    public static OnnxInputNormalization Identity(int channels) =>
        new(1f, Enumerable.Repeat(0f, channels).ToArray(), Enumerable.Repeat(1f, channels).ToArray());

    /// <summary>Throws an <see cref="ArgumentException"/> unless this normalization fits <paramref name="channels"/> channels.</summary>
    public void Validate(int channels)
    {
        if (Mean is null || Std is null) throw new ArgumentException("The normalization needs Mean and Std arrays.");
        if (Mean.Length != channels || Std.Length != channels)
        {
            throw new ArgumentException($"The normalization has {Mean.Length} mean and {Std.Length} std values; the input has {channels} channel(s).");
        }
        if (!float.IsFinite(Scale) || Scale == 0f) throw new ArgumentException($"The normalization scale must be finite and non-zero, not {Scale}.");
        if (Mean.Any(m => !float.IsFinite(m))) throw new ArgumentException("Every normalization mean must be finite.");
        if (Std.Any(s => !float.IsFinite(s) || s <= 0f)) throw new ArgumentException("Every normalization std must be finite and positive.");
    }

    /// <summary>
    /// Applies the normalization with TorchSharp: raw pixels <c>[N, C*H*W]</c> (or <c>[N, C, H, W]</c>) to a
    /// normalized <c>[N, C, H, W]</c> tensor, the same computation the exported graph performs. Useful as the
    /// reference side of a parity check.
    /// </summary>
    public Tensor Apply(Tensor rawPixels, int channels, int height, int width)
    {
        ArgumentNullException.ThrowIfNull(rawPixels);
        Validate(channels);
        using var scope = NewDisposeScope();
        var x = rawPixels.reshape(-1, channels, height, width);
        using var mean = tensor(Mean, new long[] { 1, channels, 1, 1 }, device: rawPixels.device);
        using var std = tensor(Std, new long[] { 1, channels, 1, 1 }, device: rawPixels.device);
        return x.mul(Scale).sub(mean).div(std).MoveToOuterDisposeScope();
    }
}
