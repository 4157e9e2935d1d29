using ContrastiveML.Encoders;
using ContrastiveML.Losses;
using ContrastiveML.Training;
using static TorchSharp.torch;

namespace ContrastiveML.Methods.SimClr;

/// <summary>SimCLR's training step: two views per image, encoder, projection head, NT-Xent over the 2N views.</summary>
internal sealed class SimClrMethod : TwoViewProjectionMethod
{
    private readonly double _temperature;

    public SimClrMethod(ImageEncoder encoder, SimClrOptions options, ImageShape shape)
        : base("SimCLR", encoder, options.AugmentationFor(shape), shape, options.ProjectionHiddenDim, options.ProjectionDim)
    {
        _temperature = options.Temperature;
        DeclareSetting(nameof(SimClrOptions.Temperature), _temperature);
    }

    public override Tensor ComputeLoss(ContrastiveBatch batch)
    {
        long n = batch.Images.shape[0];
        Tensor projections = ProjectTwoViews(batch);
        return NtXentLoss.Compute(projections.narrow(0, 0, n), projections.narrow(0, n, n), _temperature);
    }
}
