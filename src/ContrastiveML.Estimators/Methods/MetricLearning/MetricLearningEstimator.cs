using ContrastiveML.Encoders;
using Microsoft.ML;
using Microsoft.ML.Runtime;

namespace ContrastiveML;

/// <summary>
/// Pretrains an image encoder by metric learning: the triplet margin loss (FaceNet) or the contrastive pair loss
/// (Hadsell et al. 2006), mined inside each batch, with class labels or, without them, with the two augmented views of
/// each image as the positive pair. Returns a transformer that writes the encoder's embedding. Create it with
/// <see cref="ContrastiveCatalog.MetricLearning(TransformsCatalog, string, string, ImageShape, string?, MetricLossKind, EncoderKind, int, int)"/>.
/// </summary>
/// <remarks>
/// With a label column, Fit reads it once before training and fails with an <see cref="InvalidOperationException"/> when
/// the data has a single class (there would be no negatives) or every label is unique (the labels are then most likely
/// row ids, not classes), and names the row of a missing label (key 0, NaN, empty text). Progress reports carry the
/// active fraction, the mean positive and negative distances and the embedding's spread (see
/// <see cref="MetricLearningOptions"/>); collapse and an all-inactive interval are logged as warnings.
/// </remarks>
public sealed class MetricLearningEstimator : ContrastiveEncoderEstimator<MetricLearningOptions>
{
    /// <summary>Creates the estimator for <paramref name="mlContext"/> (its log receives progress and warnings; its CancelExecution stops Fit).</summary>
    public MetricLearningEstimator(MLContext mlContext, MetricLearningOptions options)
        : this((IHostEnvironment)mlContext, options)
    {
    }

    internal MetricLearningEstimator(IHostEnvironment env, MetricLearningOptions options)
        : base(env, options, Methods.MetricLearning.MetricLearningDescriptor.Instance)
    {
    }
}
