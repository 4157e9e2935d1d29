using ContrastiveML.Data;
using ContrastiveML.Encoders;
using ContrastiveML.Methods.SupCon;
using ContrastiveML.Training;
using Microsoft.ML;
using Microsoft.ML.Runtime;

namespace ContrastiveML;

/// <summary>
/// Pretrains an image encoder with supervised contrastive learning (SupCon; Khosla et al. 2020) on the images and class
/// labels of an IDataView, and returns a transformer that writes the encoder's embedding. Create it with
/// <see cref="ContrastiveCatalog.SupCon(TransformsCatalog, string, string, string, ImageShape, EncoderKind, int, int)"/>.
/// </summary>
/// <remarks>
/// Before training, Fit reads the label column once and fails with an <see cref="InvalidOperationException"/> when the
/// data has a single class (SupCon is then meaningless) or every label is unique (no two images can be positives), and
/// names the row of a missing label (key 0, NaN, empty text). Progress reports carry <c>anchorsWithPositives</c>: the
/// mean fraction of a batch's images that share their class with another image of the batch.
/// </remarks>
public sealed class SupConEstimator : ContrastiveEncoderEstimator<SupConOptions>
{
    /// <summary>Creates the estimator for <paramref name="mlContext"/> (its log receives progress; its CancelExecution stops Fit).</summary>
    public SupConEstimator(MLContext mlContext, SupConOptions options)
        : this((IHostEnvironment)mlContext, options)
    {
    }

    internal SupConEstimator(IHostEnvironment env, SupConOptions options)
        : base(env, options, "SupCon")
    {
    }

    private protected override string? LabelColumnName => Options.LabelColumnName;

    private protected override int BalancedSamplesPerClass => Options.ClassBalancedBatches ? Options.SamplesPerClass : 0;

    private protected override IContrastiveMethod CreateMethod(ImageEncoder encoder, int seed) =>
        new SupConMethod(encoder, Options, Options.ImageShape!, classes: 0);

    /// <summary>SupCon, with the auxiliary classifier sized from the label column's classes when CrossEntropyWeight &gt; 0.</summary>
    private protected override IContrastiveMethod CreateMethod(ImageEncoder encoder, int seed, PixelStatistics statistics, int batchSize, LabelColumn? labels) =>
        new SupConMethod(encoder, Options, Options.ImageShape!, labels?.ClassCount ?? 0);

    private protected override void ValidateData(IDataView pixels, PixelStatistics statistics, LabelColumn? labels, Action checkCanceled)
    {
        if (labels == null) return;
        Dictionary<long, long> counts = labels.CountRows(pixels, checkCanceled);
        if (counts.Count < 2)
        {
            throw new InvalidOperationException(
                $"SupCon needs at least two classes, but label column '{labels.ColumnName}' holds a single class in all {statistics.RowCount} rows. " +
                "With one class every other image is a positive and nothing is contrasted; use SimCLR (mlContext.Transforms.SimClr) for unlabelled data.");
        }
        if (counts.Values.All(c => c == 1))
        {
            throw new InvalidOperationException(
                $"SupCon needs images that share a class, but every one of the {counts.Count} labels in column '{labels.ColumnName}' is unique, " +
                "so no two images can be positives. Check that the label column holds class labels (not row ids), or use SimCLR.");
        }
    }
}
