using ContrastiveML.Data;
using ContrastiveML.Encoders;
using ContrastiveML.Methods.Cmc;
using ContrastiveML.Onnx;
using ContrastiveML.Training;
using Microsoft.ML;
using Microsoft.ML.Runtime;

namespace ContrastiveML;

/// <summary>
/// Pretrains image encoders with Contrastive Multiview Coding (CMC; Tian, Krishnan and Isola 2020) on the images of an
/// IDataView, and returns a transformer that writes the concatenated features of the per-view encoders. Create it with
/// <see cref="ContrastiveCatalog.Cmc(TransformsCatalog, string, string, ImageShape, EncoderKind, int, int)"/>.
/// </summary>
/// <remarks>
/// The view split is part of the model: the exported ONNX graph converts sRGB to Lab (or splits the gray image into
/// frequency bands) before the view encoders, so the saved pipeline takes the same raw pixels as every other estimator.
/// Options that do not fit the image shape (a Lab split for 1-channel images, any split for 2 or 4 channels) fail when
/// the estimator is created; a memory bank larger than the data (given explicitly) fails Fit before training, and the
/// default bank (MemoryBankSize = null) is sized from the data.
/// </remarks>
public sealed class CmcEstimator : ContrastiveEncoderEstimator<CmcOptions>
{
    /// <summary>Creates the estimator for <paramref name="mlContext"/> (its log receives progress; its CancelExecution stops Fit).</summary>
    public CmcEstimator(MLContext mlContext, CmcOptions options)
        : this((IHostEnvironment)mlContext, options)
    {
    }

    internal CmcEstimator(IHostEnvironment env, CmcOptions options)
        : base(env, options, "CMC")
    {
    }

    private protected override ImageEncoder CreateEncoder(PixelStatistics statistics)
    {
        ImageShape shape = Options.ImageShape!;
        // The frequency bands standardise the gray channel with the data's statistics; the Lab split ignores them.
        CmcViewSplitter splitter = CmcViewSplitter.Create(Options.ViewSplit, shape, statistics.Mean[0], statistics.Std[0], Options.LowPassSigma);
        return CmcEncoder.Create(shape, splitter, Options.Encoder, Options.ViewEncoderWidth, Options.EncoderPooling);
    }

    // The view split reads pixels in [0, 1]: the graph scales the raw pixels and leaves the rest to the encoder.
    private protected override OnnxInputNormalization InputNormalization(PixelStatistics statistics) =>
        new(Options.PixelScale, new float[Options.ImageShape!.Channels], Enumerable.Repeat(1f, Options.ImageShape!.Channels).ToArray());

    // The embedding is the view encoders' features side by side: say which slice belongs to which view.
    private protected override IEnumerable<KeyValuePair<string, string>> ExtraMetadata(ImageEncoder encoder)
    {
        var cmc = (CmcEncoder)encoder;
        var c = System.Globalization.CultureInfo.InvariantCulture;
        yield return new("contrastiveml.cmc.views", string.Join(",", cmc.Splitter.ViewNames));
        yield return new("contrastiveml.cmc.view_embedding_dims", string.Join(",", Enumerable.Range(0, cmc.ViewCount).Select(v => cmc.ViewEncoder(v).EmbeddingDim.ToString(c))));
        yield return new("contrastiveml.cmc.view_encoder_width", cmc.BaseWidth.ToString(c));
    }

    /// <summary>Without the data's size the bank is the paper's 16,384 (or MemoryBankSize); Fit uses the overload that knows it.</summary>
    private protected override IContrastiveMethod CreateMethod(ImageEncoder encoder, int seed) =>
        new CmcMethod((CmcEncoder)encoder, Options, Options.ImageShape!, Options.MemoryBankSize ?? CmcOptions.PaperMemoryBankSize);

    private protected override IContrastiveMethod CreateMethod(ImageEncoder encoder, int seed, PixelStatistics statistics, int batchSize, LabelColumn? labels)
    {
        int bankSize = Options.ResolveMemoryBankSize(statistics.RowCount, batchSize);
        if (Options.Negatives == CmcNegatives.MemoryBank)
        {
            using IChannel channel = Environment.Register(MethodName).Start("MemoryBank");
            string why = DefaultSizeReason(nameof(CmcOptions.MemoryBankSize), Options.MemoryBankSize is not null, bankSize, CmcOptions.PaperMemoryBankSize,
                $"capped at a tenth of the {statistics.RowCount:N0} training rows, at least a batch; the bank holds recent images, " +
                "so a larger one would hold older copies of the anchors as their own negatives");
            channel.Info(MessageSensitivity.None, $"{MethodName}: a memory bank of {bankSize:N0} images per view{why}.");
        }
        return new CmcMethod((CmcEncoder)encoder, Options, Options.ImageShape!, bankSize);
    }

    private protected override void ValidateData(IDataView pixels, PixelStatistics statistics, LabelColumn? labels, Action checkCanceled)
    {
        if (Options.Negatives == CmcNegatives.MemoryBank && Options.MemoryBankSize is int bank && bank > statistics.RowCount)
        {
            throw new InvalidOperationException(
                $"Option {nameof(CmcOptions.MemoryBankSize)} = {Options.MemoryBankSize} exceeds the {statistics.RowCount} training rows: the bank would hold " +
                $"stale copies of the anchor images themselves as negatives. Use a MemoryBankSize of at most {statistics.RowCount} (and at least BatchSize), " +
                $"or {nameof(CmcOptions.Negatives)} = {nameof(CmcNegatives.Batch)}.");
        }
    }
}
