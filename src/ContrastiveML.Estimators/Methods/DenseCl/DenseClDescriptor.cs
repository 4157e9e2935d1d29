using ContrastiveML.Methods.CommandLine;
using ContrastiveML.Training;
using ContrastiveML.Encoders;
using ContrastiveML.Methods.MoCo;

namespace ContrastiveML.Methods.DenseCl;

/// <summary>DenseCL in the method registry: MoCo's key encoder and queues, plus the optional dense output column.</summary>
internal static class DenseClDescriptor
{
    public static MethodDescriptor<DenseClOptions> Instance { get; } = new("densecl", "DenseCL", Create)
    {
            Summary = "DenseCL: MoCo v2 plus a dense loss, no labels",
        DenseOutputColumn = options => options.DenseOutputColumnName,
        DenseOutputGridSize = GridSize,
        Estimator = (env, options) => new DenseClEstimator(env, options),
        Cli = MoCoCliOptions.Cli<DenseClOptions>(ProbeQueueSize,
            new MethodCliBinding[]
            {
                DenseClCliOptions.DenseLossWeight.For<DenseClOptions>(MethodCommands.Probe, (o, w) => o.DenseLossWeight = w).WithProbeDefault(DenseClOptions.PaperDenseLossWeight),
                DenseClCliOptions.GridSize.For<DenseClOptions>(MethodCommands.Probe, (o, s) => o.GridSize = s),
            },
            o => new KeyValuePair<string, object?>[] { new("denseLossWeight", o.DenseLossWeight), new("gridSize", o.GridSize) }),
    };

    /// <summary>
    /// The probe's queues: smaller than MoCo's because the dense InfoNCE scores every cell of every image against every
    /// queued key, an (N·S²) x K matrix: 12,544 x 4,096 at batch 256 on the 7x7 grid (about 26 GFLOP a step forward and
    /// backward, 205 MB of logits), where MoCo's 16,384 would make it 4x that and dominate the step.
    /// </summary>
    public const int ProbeQueueSize = 4_096;

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
