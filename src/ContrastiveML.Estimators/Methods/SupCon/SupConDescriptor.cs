using ContrastiveML.Methods.CommandLine;
using ContrastiveML.Data;

namespace ContrastiveML.Methods.SupCon;

/// <summary>SupCon in the method registry: reads labels, optionally in class-balanced batches.</summary>
internal static class SupConDescriptor
{
    public static MethodDescriptor<SupConOptions> Instance { get; } =
        new("supcon", "SupCon", c => new SupConMethod(c.Encoder, c.Options, c.Shape, c.Labels?.ClassCount ?? 0))
        {
            Summary = "supervised contrastive, uses the training labels",
            LabelColumn = options => options.LabelColumnName,
            LabelWording = new ClassLabelWording("SupCon",
                "With one class every other image is a positive and nothing is contrasted; use SimCLR (mlContext.Transforms.SimClr) for unlabelled data.",
                "No two images can be positives. Check that the label column holds class labels (not row ids), or use SimCLR."),
            BalancedSamplesPerClass = options => options.ClassBalancedBatches ? options.SamplesPerClass : 0,
            Estimator = (env, options) => new SupConEstimator(env, options),
            Cli = new(
                MethodCliOptions.Temperature.For<SupConOptions>(MethodCommands.Probe, (o, t) => o.Temperature = t),
                SupConCliOptions.Views.For<SupConOptions>(MethodCommands.Probe, (o, v) => o.ViewsPerImage = v),
                MethodCliOptions.ProjectionDim.For<SupConOptions>(MethodCommands.Probe, (o, d) => o.ProjectionDim = d),
                SupConCliOptions.CrossEntropyWeight.For<SupConOptions>(MethodCommands.Probe, (o, w) => o.CrossEntropyWeight = w),
                MethodCliOptions.CropScaleMinOf(MethodCommands.Probe),
                MethodCliOptions.ColorJitterOf(MethodCommands.Probe))
            {
                CommandDefaults = (o, context) => o.LabelColumnName = context.LabelColumnName,
                ProbeFigures = (o, _, _) => new KeyValuePair<string, object?>[]
                {
                    new("viewsPerImage", o.ViewsPerImage), new("temperature", o.Temperature),
                    new("projectionDim", o.ProjectionDim), new("crossEntropyWeight", o.CrossEntropyWeight),
                },
            },
        };
}
