using ContrastiveML.Methods.CommandLine;
namespace ContrastiveML.Methods.SimClr;

/// <summary>SimCLR in the method registry.</summary>
internal static class SimClrDescriptor
{
    public static MethodDescriptor<SimClrOptions> Instance { get; } = new("simclr", "SimCLR", c => new SimClrMethod(c.Encoder, c.Options, c.Shape))
    {
            Summary = "no labels",
        Estimator = (env, options) => new SimClrEstimator(env, options),
        // pretrain passes the temperature and crop scale it chose from the data (or was given).
        Cli = new(
            MethodCliOptions.Temperature.For<SimClrOptions>(MethodCommands.Both, (o, t) => o.Temperature = t),
            MethodCliOptions.CropScaleMinOf(MethodCommands.Both),
            MethodCliOptions.ColorJitterOf(MethodCommands.Probe)),
    };
}
