using ContrastiveML.Methods.CommandLine;
using ContrastiveML.Training;
using ContrastiveML.Data;
using ContrastiveML.Encoders;

namespace ContrastiveML.Methods.Cmc;

/// <summary>
/// CMC in the method registry: a composite encoder (the view split and one backbone per view) that reads [0, 1] pixels,
/// metadata describing the concatenated embedding, and the memory bank sized from (and checked against) the data.
/// </summary>
internal static class CmcDescriptor
{
    public static MethodDescriptor<CmcOptions> Instance { get; } = new("cmc", "CMC", Create)
    {
            Summary = "contrastive multiview coding: Lab L/ab views for 3 channels, low/high frequency bands for 1; no labels",
        CreateEncoder = CreateEncoder,
        // The view split reads pixels in [0, 1]: the graph scales the raw pixels and leaves the rest to the encoder.
        ReadsUnitPixels = true,
        ExtraMetadata = Metadata,
        ValidateData = CheckBankSize,
        Estimator = (env, options) => new CmcEstimator(env, options),
        // MemoryBankSize left null: the estimator sizes the bank from the data. The crop scale and jitter change CMC's own
        // augmentation (crop and flip only: jitter, grayscale and blur would erase a view).
        Cli = new(
            MethodCliOptions.Temperature.For<CmcOptions>(MethodCommands.Probe, (o, t) => o.Temperature = t),
            CmcCliOptions.MemoryBank.For<CmcOptions>(MethodCommands.Probe, (o, bank) =>
            {
                if (bank == 0) o.Negatives = CmcNegatives.Batch;
                else o.MemoryBankSize = bank;
            }),
            CmcCliOptions.IndependentViews.For<CmcOptions>(MethodCommands.Probe, (o, independent) => o.AugmentViewsIndependently = independent),
            MethodCliOptions.CropScaleMinOf(MethodCommands.Probe),
            MethodCliOptions.ColorJitterOf(MethodCommands.Probe))
        {
            ProbeFigures = (o, _, rows) => new KeyValuePair<string, object?>[]
            {
                new("memoryBank", o.Negatives == CmcNegatives.Batch ? 0 : o.ResolveMemoryBankSize(rows, o.BatchSize)),
                new("augmentViewsIndependently", o.AugmentViewsIndependently),
            },
            SettingsSummary = (o, rows) => o.Negatives == CmcNegatives.Batch ? null
                : $"CMC: negatives from a memory bank of {o.ResolveMemoryBankSize(rows, o.BatchSize)} images per view.",
        },
    };

    private static ImageEncoder CreateEncoder(CmcOptions options, PixelStatistics statistics)
    {
        ImageShape shape = options.RequiredImageShape;
        // The frequency bands standardise the gray channel with the data's statistics; the Lab split ignores them.
        CmcViewSplitter splitter = CmcViewSplitter.Create(options.ViewSplit, shape, statistics.Mean[0], statistics.Std[0], options.LowPassSigma);
        return CmcEncoder.Create(shape, splitter, options.Encoder, options.ViewEncoderWidth, options.EncoderPooling);
    }

    // The embedding is the view encoders' features side by side: say which slice belongs to which view.
    private static IEnumerable<KeyValuePair<string, string>> Metadata(ImageEncoder encoder)
    {
        var cmc = (CmcEncoder)encoder;
        var c = System.Globalization.CultureInfo.InvariantCulture;
        yield return new("contrastiveml.cmc.views", string.Join(",", cmc.Splitter.ViewNames));
        yield return new("contrastiveml.cmc.view_embedding_dims", string.Join(",", Enumerable.Range(0, cmc.ViewCount).Select(v => cmc.ViewEncoder(v).EmbeddingDim.ToString(c))));
        yield return new("contrastiveml.cmc.view_encoder_width", cmc.BaseWidth.ToString(c));
    }

    private static void CheckBankSize(CmcOptions options, PixelStatistics statistics)
    {
        if (options.Negatives == CmcNegatives.MemoryBank && options.MemoryBankSize is int bank && bank > statistics.RowCount)
        {
            throw new InvalidOperationException(
                $"Option {nameof(CmcOptions.MemoryBankSize)} = {options.MemoryBankSize} exceeds the {statistics.RowCount} training rows: the bank would hold " +
                $"stale copies of the anchor images themselves as negatives. Use a MemoryBankSize of at most {statistics.RowCount} (and at least BatchSize), " +
                $"or {nameof(CmcOptions.Negatives)} = {nameof(CmcNegatives.Batch)}.");
        }
    }

    private static IContrastiveMethod Create(MethodBuildContext<CmcOptions> c)
    {
        CmcOptions options = c.Options;
        int bankSize = options.ResolveMemoryBankSize(c.Statistics.RowCount, c.BatchSize);
        if (options.Negatives == CmcNegatives.MemoryBank)
        {
            string why = MethodBuildContext<CmcOptions>.DefaultSizeReason(nameof(CmcOptions.MemoryBankSize), options.MemoryBankSize is not null, bankSize, CmcOptions.PaperMemoryBankSize,
                $"capped at a tenth of the {c.Statistics.RowCount:N0} training rows, at least a batch; the bank holds recent images, " +
                "so a larger one would hold older copies of the anchors as their own negatives");
            c.Info("MemoryBank", $"{c.MethodName}: a memory bank of {bankSize:N0} images per view{why}.");
        }
        return new CmcMethod((CmcEncoder)c.Encoder, options, c.Shape, bankSize);
    }
}
