using ContrastiveML.Augmentation;
using ContrastiveML.Encoders;
using ContrastiveML.Heads;
using ContrastiveML.Losses;
using ContrastiveML.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace ContrastiveML.Methods.SupCon;

/// <summary>
/// SupCon's training step: two views per image, encoder, projection head, SupCon loss over the 2N stacked projections
/// with the labels repeated for the second view.
/// </summary>
internal sealed class SupConMethod : IContrastiveMethod
{
    /// <summary>The progress figure: the fraction of anchors with a positive other than their own second view.</summary>
    public const string SameClassFigure = "anchorsWithPositives";

    private readonly ViewAugmenter _augmenter;
    private readonly ProjectionHead _head;
    private readonly double _temperature;
    private double _fractionSum;
    private int _fractionSteps;

    public SupConMethod(ImageEncoder encoder, SupConOptions options, ImageShape shape)
    {
        Encoder = encoder;
        _augmenter = new ViewAugmenter(options.AugmentationFor(shape), shape);
        int hidden = options.ProjectionHiddenDim > 0 ? options.ProjectionHiddenDim : encoder.EmbeddingDim;
        _head = new ProjectionHead(encoder.EmbeddingDim, hidden, options.ProjectionDim);
        _temperature = options.Temperature;
    }

    public string Name => "SupCon";

    public ImageEncoder Encoder { get; }

    public IEnumerable<TorchSharp.Modules.Parameter> TrainableParameters() => Encoder.parameters().Concat(_head.parameters());

    public void SetTraining(bool training)
    {
        Encoder.train(training);
        _head.train(training);
    }

    public void MoveTo(Device device)
    {
        Encoder.to(device);
        _head.to(device);
    }

    public Tensor ComputeLoss(ContrastiveBatch batch)
    {
        Tensor labels = batch.Labels ?? throw new InvalidOperationException("SupCon needs class labels; the batch has none.");
        Tensor images = batch.Images;
        Tensor first = _augmenter.MakeView(images, batch.Generator);
        Tensor second = _augmenter.MakeView(images, batch.Generator);
        // One forward over both views: BatchNorm sees all 2N views together.
        Tensor projections = _head.forward(Encoder.forward(batch.Normalize(cat(new[] { first, second }, 0))));
        Tensor stackedLabels = cat(new[] { labels, labels }, 0);
        Tensor loss = SupConLoss.Compute(projections, stackedLabels, _temperature, out _);
        // With two views every anchor has its own other view as a positive; report the fraction that also has another
        // image of its class in the batch (what makes SupCon differ from SimCLR).
        long n = labels.shape[0];
        using (NewDisposeScope())
        {
            long sameClass = labels.unsqueeze(1).eq(labels.unsqueeze(0)).sum(1, type: ScalarType.Int64).gt(1).sum().item<long>();
            _fractionSum += (double)sameClass / n;
        }
        _fractionSteps++;
        return loss;
    }

    public IReadOnlyDictionary<string, double> ProgressFigures()
    {
        var figures = new Dictionary<string, double>();
        if (_fractionSteps > 0) figures[SameClassFigure] = _fractionSum / _fractionSteps;
        _fractionSum = 0;
        _fractionSteps = 0;
        return figures;
    }

    public void AfterStep()
    {
    }

    public void Dispose()
    {
        _head.Dispose();
    }
}
