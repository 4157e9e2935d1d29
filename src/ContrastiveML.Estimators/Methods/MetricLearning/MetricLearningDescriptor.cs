using ContrastiveML.Methods.CommandLine;
using ContrastiveML.Data;

namespace ContrastiveML.Methods.MetricLearning;

/// <summary>Metric learning in the method registry: reads labels only when its label column is set.</summary>
internal static class MetricLearningDescriptor
{
    public static MethodDescriptor<MetricLearningOptions> Instance { get; } =
        new("metric", "MetricLearning", c => new MetricLearningMethod(c.Encoder, c.Options, c.Shape, message => c.Warning("Fit", message)))
        {
            Summary = "triplet or contrastive margin loss, uses the training labels unless --no-labels",
            PretrainSummary = "triplet margin loss with semi-hard mining on the two views of each image; no labels",
            LabelColumn = options => options.LabelColumnName,
            LabelWording = new ClassLabelWording("Metric learning with labels",
                "There are no negatives. Set LabelColumnName = null to learn from the two views of each image without labels.",
                "Check that the label column holds class labels (not row ids), or set LabelColumnName = null to learn without labels."),
            Estimator = (env, options) => new MetricLearningEstimator(env, options),
            // The probe trains with the labels and the contrastive loss, which probed better on Fashion-MNIST (docs/methods/metric.md);
            // pretrain keeps the library's defaults, FaceNet's triplet loss with semi-hard mining, on the two views of each image.
            Cli = new(
                MetricLearningCliOptions.Loss.For<MetricLearningOptions>(MethodCommands.Probe, (o, loss) => o.Loss = MetricLearningCliOptions.LossKind(loss))
                    .WithProbeDefault(MetricLearningCliOptions.ContrastiveLoss),
                MetricLearningCliOptions.Miner.For<MetricLearningOptions>(MethodCommands.Probe, MetricLearningCliOptions.SetMiner),
                MetricLearningCliOptions.NoLabels.For<MetricLearningOptions>(MethodCommands.Probe, (o, noLabels) =>
                {
                    if (noLabels) o.LabelColumnName = null;
                }),
                MethodCliOptions.ProjectionDim.For<MetricLearningOptions>(MethodCommands.Probe, (o, d) => o.ProjectionDim = d),
                MethodCliOptions.CropScaleMinOf(MethodCommands.Probe),
                MethodCliOptions.ColorJitterOf(MethodCommands.Probe))
            {
                CommandDefaults = (o, context) => o.LabelColumnName = context.Command == MethodCommands.Probe ? context.LabelColumnName : null,
                ProbeFigures = (o, given, _) => new KeyValuePair<string, object?>[]
                {
                    new("metricLoss", o.Loss == MetricLossKind.Contrastive ? MetricLearningCliOptions.ContrastiveLoss : MetricLearningCliOptions.TripletLoss),
                    new("miner", given.Get(MetricLearningCliOptions.Miner)),
                    new("projectionDim", o.ProjectionDim),
                },
            },
        };
}
