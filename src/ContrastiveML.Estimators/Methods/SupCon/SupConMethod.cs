using ContrastiveML.Encoders;
using ContrastiveML.Losses;
using ContrastiveML.Training;
using static TorchSharp.torch;

namespace ContrastiveML.Methods.SupCon;

/// <summary>
/// SupCon's training step: two views per image (or one, <see cref="SupConOptions.ViewsPerImage"/>), encoder, projection
/// head, SupCon loss over the V·N stacked projections with the labels repeated for each view.
/// </summary>
internal sealed class SupConMethod : TwoViewProjectionMethod
{
    /// <summary>The progress figure: the fraction of anchors with a positive other than their own second view.</summary>
    public const string SameClassFigure = "anchorsWithPositives";

    private readonly double _temperature;
    private readonly int _views;
    private double _fractionSum;
    private int _fractionSteps;

    public SupConMethod(ImageEncoder encoder, SupConOptions options, ImageShape shape)
        : base(encoder, options.AugmentationFor(shape), shape, options.ProjectionHiddenDim, options.ProjectionDim)
    {
        _temperature = options.Temperature;
        _views = options.ViewsPerImage;
    }

    public override string Name => "SupCon";

    public override IEnumerable<KeyValuePair<string, string>> CheckpointFingerprint() =>
        new KeyValuePair<string, string>[]
        {
            new("Temperature", _temperature.ToString("R", System.Globalization.CultureInfo.InvariantCulture)),
            new("ViewsPerImage", _views.ToString(System.Globalization.CultureInfo.InvariantCulture)),
        };

    public override Tensor ComputeLoss(ContrastiveBatch batch)
    {
        Tensor labels = batch.Labels ?? throw new InvalidOperationException("SupCon needs class labels; the batch has none.");
        Tensor projections = ProjectViews(batch, _views);
        Tensor stackedLabels = _views == 2 ? cat(new[] { labels, labels }, 0) : labels;
        Tensor loss = SupConLoss.Compute(projections, stackedLabels, _temperature, out _);
        // With two views every anchor has its own other view as a positive; report the fraction that also has another
        // image of its class in the batch (what makes SupCon differ from SimCLR; with one view, the anchors that count).
        long n = labels.shape[0];
        using (NewDisposeScope())
        using (var s = new KeptScalars())   // the 1 as a Scalar kept alive through the comparison (see KeptScalars)
        {
            long sameClass = labels.unsqueeze(1).eq(labels.unsqueeze(0)).sum(1, type: ScalarType.Int64).gt(s.Of(1L)).sum().item<long>();
            _fractionSum += (double)sameClass / n;
        }
        _fractionSteps++;
        return loss;
    }

    public override IReadOnlyDictionary<string, double> ProgressFigures()
    {
        var figures = new Dictionary<string, double>();
        if (_fractionSteps > 0) figures[SameClassFigure] = _fractionSum / _fractionSteps;
        _fractionSum = 0;
        _fractionSteps = 0;
        return figures;
    }
}
