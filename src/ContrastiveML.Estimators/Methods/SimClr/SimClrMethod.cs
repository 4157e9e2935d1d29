using ContrastiveML.Augmentation;
using ContrastiveML.Encoders;
using ContrastiveML.Heads;
using ContrastiveML.Losses;
using ContrastiveML.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace ContrastiveML.Methods.SimClr;

/// <summary>SimCLR's training step: two views per image, encoder, projection head, NT-Xent over the 2N views.</summary>
internal sealed class SimClrMethod : IContrastiveMethod
{
    private readonly ViewAugmenter _augmenter;
    private readonly ProjectionHead _head;
    private readonly double _temperature;

    public SimClrMethod(ImageEncoder encoder, SimClrOptions options, ImageShape shape)
    {
        Encoder = encoder;
        _augmenter = new ViewAugmenter(options.AugmentationFor(shape), shape);
        int hidden = options.ProjectionHiddenDim > 0 ? options.ProjectionHiddenDim : encoder.EmbeddingDim;
        _head = new ProjectionHead(encoder.EmbeddingDim, hidden, options.ProjectionDim);
        _temperature = options.Temperature;
    }

    public string Name => "SimCLR";

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
        (Tensor images, Func<Tensor, Tensor> normalize, Generator generator) = (batch.Images, batch.Normalize, batch.Generator);
        long n = images.shape[0];
        Tensor first = _augmenter.MakeView(images, generator);
        Tensor second = _augmenter.MakeView(images, generator);
        // One forward over both views: BatchNorm sees all 2N views together, as in the paper.
        Tensor projections = _head.forward(Encoder.forward(normalize(cat(new[] { first, second }, 0))));
        return NtXentLoss.Compute(projections.narrow(0, 0, n), projections.narrow(0, n, n), _temperature);
    }

    public IReadOnlyDictionary<string, double> ProgressFigures() => new Dictionary<string, double>();

    public void AfterStep()
    {
    }

    public void Dispose()
    {
        _head.Dispose();
    }
}
