using ContrastiveML.Encoders;
using Microsoft.ML;
using Microsoft.ML.Runtime;

namespace ContrastiveML;

/// <summary>
/// Pretrains an image encoder with MoCo v2 (momentum contrast with an MLP head; Chen, Fan, Girshick, He 2020) on the
/// images of an IDataView, without labels, and returns a transformer that writes the query encoder's embedding. Create
/// it with <see cref="ContrastiveCatalog.MoCo(TransformsCatalog, string, string, ImageShape, EncoderKind, int, int)"/>.
/// </summary>
/// <remarks>
/// Fit logs the queue size it uses (and why, when <see cref="MoCoOptions.QueueSize"/> is null) and warns when the queue
/// is at least as long as the data. Training checkpoints hold the query and key encoders and heads (parameters and
/// buffers), the queue and its pointer, so a resumed Fit continues exactly. Progress reports carry
/// <c>positiveSimilarity</c>: the mean cosine similarity of a query and its key.
/// </remarks>
public sealed class MoCoEstimator : ContrastiveEncoderEstimator<MoCoOptions>
{
    /// <summary>Creates the estimator for <paramref name="mlContext"/> (its log receives progress; its CancelExecution stops Fit).</summary>
    public MoCoEstimator(MLContext mlContext, MoCoOptions options)
        : this((IHostEnvironment)mlContext, options)
    {
    }

    internal MoCoEstimator(IHostEnvironment env, MoCoOptions options)
        : base(env, options, Methods.MoCo.MoCoDescriptor.Instance)
    {
    }
}
