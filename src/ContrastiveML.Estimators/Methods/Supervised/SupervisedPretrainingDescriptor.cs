using ContrastiveML.Methods.CommandLine;
using ContrastiveML.Data;

namespace ContrastiveML.Methods.Supervised;

/// <summary>The cross-entropy reference in the method registry: reads labels and sizes its classifier from them.</summary>
internal static class SupervisedPretrainingDescriptor
{
    public static MethodDescriptor<SupervisedPretrainingOptions> Instance { get; } =
        new("crossentropy", "CrossEntropy", c => new SupervisedPretrainingMethod(c.Encoder, c.Options.AugmentationFor(c.Shape), c.Shape,
            (c.Labels ?? throw new InvalidOperationException("The cross-entropy method needs a label column.")).ClassCount))
        {
            Summary = "supervised cross-entropy with a linear head, uses the training labels: the reference",
            LabelColumn = options => options.LabelColumnName,
            LabelWording = new ClassLabelWording("Cross-entropy training",
                "Use SimCLR (mlContext.Transforms.SimClr) for unlabelled data.",
                "Check that the label column holds class labels (not row ids)."),
            Estimator = (env, options) => new SupervisedPretrainingEstimator(env, options),
            Cli = new(MethodCliOptions.CropScaleMinOf(MethodCommands.Probe), MethodCliOptions.ColorJitterOf(MethodCommands.Probe))
            {
                CommandDefaults = (o, context) => o.LabelColumnName = context.LabelColumnName,
            },
        };
}
