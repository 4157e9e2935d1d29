using ContrastiveML.Encoders;
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
        : base(env, options, Methods.Supervised.SupervisedPretrainingDescriptor.Instance)
    {
    }
}
