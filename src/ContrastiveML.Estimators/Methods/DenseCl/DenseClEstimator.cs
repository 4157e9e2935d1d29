using ContrastiveML.Encoders;
using Microsoft.ML;
using Microsoft.ML.Runtime;

namespace ContrastiveML;

/// <summary>
/// Pretrains an image encoder with DenseCL (dense contrastive learning; Wang, Zhang, Shen, Kong, Li 2021: MoCo v2 plus a
/// dense projection head, a correspondence between the views' feature grids and a dense InfoNCE loss) on the images of an
/// IDataView, without labels, and returns a transformer that writes the query encoder's embedding, and optionally its
/// grid of dense features. Create it with
/// <see cref="ContrastiveCatalog.DenseCl(TransformsCatalog, string, string, ImageShape, EncoderKind, int, int)"/>.
/// </summary>
/// <remarks>
/// Fit logs the queue size (both queues) and the grid size it uses. Training checkpoints hold the query and key encoders,
/// the global and dense heads and their key copies (parameters and buffers), and both queues with their pointers.
/// Progress reports carry <c>positiveSimilarity</c> (MoCo's), <c>globalLoss</c> and <c>denseLoss</c>.
/// </remarks>
public sealed class DenseClEstimator : ContrastiveEncoderEstimator<DenseClOptions>
{
    /// <summary>Creates the estimator for <paramref name="mlContext"/> (its log receives progress; its CancelExecution stops Fit).</summary>
    public DenseClEstimator(MLContext mlContext, DenseClOptions options)
        : this((IHostEnvironment)mlContext, options)
    {
    }

    internal DenseClEstimator(IHostEnvironment env, DenseClOptions options)
        : base(env, options, Methods.DenseCl.DenseClDescriptor.Instance)
    {
    }
}
