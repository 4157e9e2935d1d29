using ContrastiveML.Training;
using ContrastiveML.Encoders;
using ContrastiveML.Methods.MoCo;

namespace ContrastiveML.Methods.DenseCl;

/// <summary>DenseCL in the method registry: MoCo's key encoder and queues, plus the optional dense output column.</summary>
internal static class DenseClDescriptor
{
    public static MethodDescriptor<DenseClOptions> Instance { get; } = new("densecl", "DenseCL", Create)
    {
        DenseOutputColumn = options => options.DenseOutputColumnName,
        DenseOutputGridSize = GridSize,
        Estimator = (env, options) => new DenseClEstimator(env, options),
    };

    private static int GridSize(DenseClOptions options, ImageEncoder encoder) =>
        DenseFeatureGrid.Resolve(options.GridSize, encoder, nameof(DenseClOptions.GridSize));

    private static IContrastiveMethod Create(MethodBuildContext<DenseClOptions> c)
    {
        DenseClOptions options = c.Options;
        long rows = c.Statistics.RowCount;
        int queueSize = options.ResolveQueueSize(rows, c.BatchSize);
        int gridSize = GridSize(options, c.Encoder);
        string queueWhy = options.QueueSize is null ? $" (QueueSize = null: min({MoCoOptions.PaperQueueSize:N0}, rows / 2), at least the batch)" : "";
        string gridWhy = options.GridSize is null ? " (GridSize = null: 7, or the feature map's side when smaller)" : "";
        c.Info("Queues",
            $"{c.MethodName}: global and dense queues of {queueSize:N0} keys each{queueWhy}; a {gridSize}x{gridSize} grid over the " +
            $"{c.Encoder.FeatureMapHeight}x{c.Encoder.FeatureMapWidth} feature map{gridWhy}; dense loss weight λ = {options.DenseLossWeight}.");
        if (queueSize >= rows)
        {
            c.Warning("Queues",
                $"{c.MethodName}: the queues ({queueSize:N0} keys) are at least as long as the data ({rows:N0} rows), so they hold each " +
                "image's own keys from its previous visit as negatives of its own queries. A QueueSize below the row count avoids that.");
        }
        return MoCoDescriptor.WithKeyEncoder(options, keyEncoder => new DenseClMethod(c.Encoder, keyEncoder, options, c.Shape, queueSize, gridSize));
    }
}
