namespace ContrastiveML.Methods.SimClr;

/// <summary>SimCLR in the method registry.</summary>
internal static class SimClrDescriptor
{
    public static MethodDescriptor<SimClrOptions> Instance { get; } = new("simclr", "SimCLR", c => new SimClrMethod(c.Encoder, c.Options, c.Shape))
    {
        Estimator = (env, options) => new SimClrEstimator(env, options),
    };
}
