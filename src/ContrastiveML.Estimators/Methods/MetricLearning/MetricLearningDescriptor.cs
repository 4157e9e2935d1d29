using ContrastiveML.Data;

namespace ContrastiveML.Methods.MetricLearning;

/// <summary>Metric learning in the method registry: reads labels only when its label column is set.</summary>
internal static class MetricLearningDescriptor
{
    public static MethodDescriptor<MetricLearningOptions> Instance { get; } =
        new("metric", "MetricLearning", c => new MetricLearningMethod(c.Encoder, c.Options, c.Shape, message => c.Warning("Fit", message)))
        {
            LabelColumn = options => options.LabelColumnName,
            LabelWording = new ClassLabelWording("Metric learning with labels",
                "There are no negatives. Set LabelColumnName = null to learn from the two views of each image without labels.",
                "Check that the label column holds class labels (not row ids), or set LabelColumnName = null to learn without labels."),
            Estimator = (env, options) => new MetricLearningEstimator(env, options),
        };
}
