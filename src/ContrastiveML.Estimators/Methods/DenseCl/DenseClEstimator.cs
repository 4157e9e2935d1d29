using ContrastiveML.Data;
using ContrastiveML.Encoders;
using ContrastiveML.Methods.DenseCl;
using ContrastiveML.Training;
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
        : base(env, options, "DenseCL")
    {
    }

    private protected override string? DenseOutputColumnName => Options.DenseOutputColumnName;

    private protected override int DenseOutputGridSize(ImageEncoder encoder) =>
        DenseFeatureGrid.Resolve(Options.GridSize, encoder, nameof(DenseClOptions.GridSize));

    /// <summary>Without the data's size the queues hold the paper's 65,536 keys (or QueueSize); Fit uses the overload that knows it.</summary>
    private protected override IContrastiveMethod CreateMethod(ImageEncoder encoder, int seed) =>
        CreateDenseCl(encoder, Options.QueueSize ?? MoCoOptions.PaperQueueSize);

    private protected override IContrastiveMethod CreateMethod(ImageEncoder encoder, int seed, PixelStatistics statistics, int batchSize, LabelColumn? labels)
    {
        int queueSize = Options.ResolveQueueSize(statistics.RowCount, batchSize);
        int gridSize = DenseOutputGridSize(encoder);
        using (IChannel channel = Environment.Register(MethodName).Start("Queues"))
        {
            string queueWhy = Options.QueueSize is null ? $" (QueueSize = null: min({MoCoOptions.PaperQueueSize:N0}, rows / 2), at least the batch)" : "";
            string gridWhy = Options.GridSize is null ? " (GridSize = null: 7, or the feature map's side when smaller)" : "";
            channel.Info(MessageSensitivity.None,
                $"{MethodName}: global and dense queues of {queueSize:N0} keys each{queueWhy}; a {gridSize}x{gridSize} grid over the " +
                $"{encoder.FeatureMapHeight}x{encoder.FeatureMapWidth} feature map{gridWhy}; dense loss weight λ = {Options.DenseLossWeight}.");
            if (queueSize >= statistics.RowCount)
            {
                channel.Warning(MessageSensitivity.None,
                    $"{MethodName}: the queues ({queueSize:N0} keys) are at least as long as the data ({statistics.RowCount:N0} rows), so they hold each " +
                    "image's own keys from its previous visit as negatives of its own queries. A QueueSize below the row count avoids that.");
            }
        }
        return CreateDenseCl(encoder, queueSize);
    }

    private DenseClMethod CreateDenseCl(ImageEncoder encoder, int queueSize)
    {
        int gridSize = DenseOutputGridSize(encoder);
        return MoCoEstimator.WithKeyEncoder(Options, keyEncoder => new DenseClMethod(encoder, keyEncoder, Options, Options.ImageShape!, queueSize, gridSize));
    }
}
