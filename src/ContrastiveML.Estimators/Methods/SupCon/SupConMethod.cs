using ContrastiveML.Encoders;
using ContrastiveML.Losses;
using ContrastiveML.Training;
using static TorchSharp.torch;

namespace ContrastiveML.Methods.SupCon;

/// <summary>
/// SupCon's training step: two views per image (or one, <see cref="SupConOptions.ViewsPerImage"/>), encoder, projection
/// head, SupCon loss over the V·N stacked projections with the labels repeated for each view; plus, with
/// <see cref="SupConOptions.CrossEntropyWeight"/> w &gt; 0, w times the cross-entropy of a linear classifier on the V·N
/// embeddings.
/// </summary>
internal sealed class SupConMethod : TwoViewProjectionMethod
{
    /// <summary>The progress figure: the fraction of anchors with a positive other than their own second view.</summary>
    public const string SameClassFigure = "anchorsWithPositives";

    /// <summary>The progress figure with a cross-entropy term: the classifier's mean cross-entropy (unweighted).</summary>
    public const string CrossEntropyFigure = "crossEntropy";

    private readonly double _temperature;
    private readonly int _views;
    private readonly double _crossEntropyWeight;
    private readonly TorchSharp.Modules.Linear? _classifier;
    private double _fractionSum;
    private double _crossEntropySum;
    private int _fractionSteps;

    /// <param name="encoder">The backbone.</param>
    /// <param name="options">SupCon's options.</param>
    /// <param name="shape">The image shape.</param>
    /// <param name="classes">Classes of the label column (the classifier's outputs); used only with a cross-entropy weight.</param>
    public SupConMethod(ImageEncoder encoder, SupConOptions options, ImageShape shape, long classes)
        : base("SupCon", encoder, options.AugmentationFor(shape), shape, options.ProjectionHiddenDim, options.ProjectionDim)
    {
        _temperature = options.Temperature;
        _views = options.ViewsPerImage;
        _crossEntropyWeight = options.CrossEntropyWeight;
        DeclareSetting(nameof(SupConOptions.Temperature), _temperature);
        DeclareSetting(nameof(SupConOptions.ViewsPerImage), _views);
        // Only when used, so checkpoints of SupCon alone written before the option existed still resume.
        if (_crossEntropyWeight > 0) DeclareSetting(nameof(SupConOptions.CrossEntropyWeight), _crossEntropyWeight);
        if (_crossEntropyWeight > 0)
        {
            if (classes < 2) throw new ArgumentOutOfRangeException(nameof(classes), classes, "The cross-entropy term needs the label column's class count (at least 2).");
            // Created after the head, so the encoder's and the head's initial weights are those of SupCon alone.
            _classifier = TorchSharp.torch.nn.Linear(encoder.EmbeddingDim, classes);
            ModuleSet.AddTrained(_classifier);
        }
    }

    public override Tensor ComputeLoss(ContrastiveBatch batch)
    {
        Tensor labels = batch.Labels ?? throw new InvalidOperationException("SupCon needs class labels; the batch has none.");
        (Tensor embeddings, Tensor projections) = EmbedAndProjectViews(batch, _views);
        Tensor stackedLabels = _views == 2 ? cat(new[] { labels, labels }, 0) : labels;
        Tensor loss = SupConLoss.Compute(projections, stackedLabels, _temperature, out _);
        if (_classifier != null)
        {
            Tensor crossEntropy = CrossEntropyLoss.Compute(_classifier.call(embeddings), stackedLabels);
            _crossEntropySum += crossEntropy.item<float>();
            using var weight = new KeptScalars();
            loss = loss.add(crossEntropy, weight.Of(_crossEntropyWeight));
        }
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
        if (_fractionSteps > 0 && _classifier != null) figures[CrossEntropyFigure] = _crossEntropySum / _fractionSteps;
        _fractionSum = 0;
        _crossEntropySum = 0;
        _fractionSteps = 0;
        return figures;
    }
}
