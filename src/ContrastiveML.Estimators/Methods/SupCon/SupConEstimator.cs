using ContrastiveML.Encoders;
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
        : base(env, options, Methods.SupCon.SupConDescriptor.Instance)
    {
    }
}
