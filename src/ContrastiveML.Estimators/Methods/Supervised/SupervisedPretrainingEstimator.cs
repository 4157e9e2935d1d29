using ContrastiveML.Data;
using ContrastiveML.Encoders;
using ContrastiveML.Methods.Supervised;
using ContrastiveML.Training;
using Microsoft.ML;
using Microsoft.ML.Runtime;

namespace ContrastiveML;

/// <summary>
/// Trains an image encoder supervised, with a linear classifier head and cross-entropy on the class labels of an
/// IDataView, and returns a transformer that writes the encoder's embedding (the head is dropped). It is the reference
/// that the contrastive methods are compared with: the same encoder, augmentation, optimiser, schedule and budget.
/// Create it with <see cref="ContrastiveCatalog.SupervisedPretraining(TransformsCatalog, string, string, string, ImageShape, EncoderKind, int, int)"/>.
/// </summary>
/// <remarks>
/// Before training, Fit reads the label column once: it fails with an <see cref="InvalidOperationException"/> when the
/// data has a single class (nothing to classify) or every label is unique (a row id, not a class), names the row of a
/// missing label (key 0, NaN, empty text), and sizes the classifier from the classes found.
/// </remarks>
public sealed class SupervisedPretrainingEstimator : ContrastiveEncoderEstimator<SupervisedPretrainingOptions>
{
    /// <summary>Creates the estimator for <paramref name="mlContext"/> (its log receives progress; its CancelExecution stops Fit).</summary>
    public SupervisedPretrainingEstimator(MLContext mlContext, SupervisedPretrainingOptions options)
        : this((IHostEnvironment)mlContext, options)
    {
    }

    internal SupervisedPretrainingEstimator(IHostEnvironment env, SupervisedPretrainingOptions options)
        : base(env, options, "CrossEntropy")
    {
    }

    private protected override string? LabelColumnName => Options.LabelColumnName;

    private protected override IContrastiveMethod CreateMethod(ImageEncoder encoder, int seed) =>
        throw new InvalidOperationException("The cross-entropy method needs the label column's class count; Fit creates it through the overload that passes the labels.");

    private protected override IContrastiveMethod CreateMethod(ImageEncoder encoder, int seed, PixelStatistics statistics, int batchSize, LabelColumn? labels)
    {
        LabelColumn column = labels ?? throw new InvalidOperationException("The cross-entropy method needs a label column.");
        return new SupervisedPretrainingMethod(encoder, Options.AugmentationFor(Options.ImageShape!), Options.ImageShape!, column.ClassCount);
    }

    private protected override void ValidateData(IDataView pixels, PixelStatistics statistics, LabelColumn? labels, Action checkCanceled)
    {
        if (labels == null) return;
        Dictionary<long, long> counts = labels.CountRows(pixels, checkCanceled);
        if (counts.Count < 2)
        {
            throw new InvalidOperationException(
                $"Cross-entropy training needs at least two classes, but label column '{labels.ColumnName}' holds {(counts.Count == 0 ? "no class" : "a single class")} " +
                $"in all {statistics.RowCount} rows. Use SimCLR (mlContext.Transforms.SimClr) for unlabelled data.");
        }
        if (counts.Values.All(c => c == 1))
        {
            throw new InvalidOperationException(
                $"Cross-entropy training needs classes with several images, but every one of the {counts.Count} labels in column '{labels.ColumnName}' is unique. " +
                "Check that the label column holds class labels (not row ids).");
        }
    }
}
