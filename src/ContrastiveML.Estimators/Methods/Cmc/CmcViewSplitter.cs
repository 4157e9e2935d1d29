using ContrastiveML.Onnx;
using static TorchSharp.torch;

namespace ContrastiveML.Methods.Cmc;

/// <summary>
/// Splits a batch of images in [0, 1] into CMC's views, each normalised for its encoder, on the images' device; and
/// writes the same split into an ONNX graph. It holds no trainable state: its constants follow from the options
/// (and, for the frequency bands, the training data's pixel statistics, which the exported graph carries as constants).
/// </summary>
internal abstract class CmcViewSplitter
{
    /// <summary>Channels of each view, in view order (view 0 is the core view).</summary>
    public abstract IReadOnlyList<int> ViewChannels { get; }

    /// <summary>A short name per view, for node names and messages (e.g. "L", "ab").</summary>
    public abstract IReadOnlyList<string> ViewNames { get; }

    /// <summary>The views of <c>[N, C, H, W]</c> images in [0, 1]: one <c>[N, ViewChannels[v], H, W]</c> tensor per view.</summary>
    public abstract Tensor[] Split(Tensor images);

    /// <summary>Appends the split to <paramref name="graph"/>, reading images in [0, 1]; returns one tensor name per view.</summary>
    public abstract string[] ExportOnnx(OnnxGraphBuilder graph, string images);

    /// <summary>
    /// The splitter for <paramref name="split"/> on images of <paramref name="shape"/>; throws an
    /// <see cref="ArgumentException"/> naming the option when the split does not exist for the channel count.
    /// </summary>
    /// <param name="split">The requested split.</param>
    /// <param name="shape">The image shape.</param>
    /// <param name="mean">Mean of the single channel in [0, 1] (frequency splits standardise with it).</param>
    /// <param name="std">Standard deviation of the single channel in [0, 1].</param>
    /// <param name="lowPassSigma">σ of the frequency splits' Gaussian in pixels; 0 picks min(H, W) / 14.</param>
    public static CmcViewSplitter Create(CmcViewSplit split, ImageShape shape, float mean, float std, double lowPassSigma)
    {
        CmcViewSplit resolved = Resolve(split, shape.Channels);
        return resolved switch
        {
            CmcViewSplit.LuminanceChroma => new LabViewSplitter(separateChroma: false),
            CmcViewSplit.LabChannels => new LabViewSplitter(separateChroma: true),
            CmcViewSplit.TwoFrequencyBands => new FrequencyViewSplitter(shape, bands: 2, mean, std, lowPassSigma),
            CmcViewSplit.ThreeFrequencyBands => new FrequencyViewSplitter(shape, bands: 3, mean, std, lowPassSigma),
            _ => throw new ArgumentOutOfRangeException(nameof(split), split, "Unknown CMC view split."),
        };
    }

    /// <summary>The split <paramref name="split"/> stands for with <paramref name="channels"/> channels; throws naming the option when there is none.</summary>
    public static CmcViewSplit Resolve(CmcViewSplit split, int channels)
    {
        const string option = nameof(CmcOptions.ViewSplit);
        switch (split)
        {
            case CmcViewSplit.Auto when channels == 3: return CmcViewSplit.LuminanceChroma;
            case CmcViewSplit.Auto when channels == 1: return CmcViewSplit.TwoFrequencyBands;
            case CmcViewSplit.Auto:
                throw new ArgumentException(
                    $"Option {option} = Auto has no view split for {channels}-channel images: CMC splits 3-channel sRGB images into Lab's L and ab " +
                    $"and 1-channel images into frequency bands. Give 1- or 3-channel images (ImageShape.Channels is {channels}).", option);
            case CmcViewSplit.LuminanceChroma or CmcViewSplit.LabChannels when channels != 3:
                throw new ArgumentException(
                    $"Option {option} = {split} converts sRGB to Lab and needs 3-channel images; ImageShape.Channels is {channels}. " +
                    (channels == 1 ? "Use TwoFrequencyBands or ThreeFrequencyBands (or Auto) for 1-channel images." : "CMC has no view split for this channel count."), option);
            case CmcViewSplit.TwoFrequencyBands or CmcViewSplit.ThreeFrequencyBands when channels != 1:
                throw new ArgumentException(
                    $"Option {option} = {split} splits a single gray channel into frequency bands and needs 1-channel images; ImageShape.Channels is {channels}. " +
                    (channels == 3 ? "Use LuminanceChroma or LabChannels (or Auto) for 3-channel images." : "CMC has no view split for this channel count."), option);
            case CmcViewSplit.LuminanceChroma or CmcViewSplit.LabChannels or CmcViewSplit.TwoFrequencyBands or CmcViewSplit.ThreeFrequencyBands:
                return split;
            default:
                throw new ArgumentOutOfRangeException(option, split, $"Option {option} must be a defined CmcViewSplit; found {split}.");
        }
    }
}
