using ContrastiveML.Augmentation;
using ContrastiveML.Encoders;
using ContrastiveML.Losses;
using ContrastiveML.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace ContrastiveML.Methods.Supervised;

/// <summary>
/// The supervised reference's training step: one augmented view per image, encoder, a linear classifier over the
/// pooled features (training only), cross-entropy against the labels.
/// </summary>
internal sealed class SupervisedPretrainingMethod : IContrastiveMethod
{
    /// <summary>The progress figure: the fraction of the augmented training views classified correctly.</summary>
    public const string AccuracyFigure = "batchAccuracy";

    private readonly ViewAugmenter _augmenter;
    private readonly TorchSharp.Modules.Linear _classifier;
    private long _correct;
    private long _seen;

    /// <param name="encoder">The backbone.</param>
    /// <param name="augmentation">How the one view per image is made.</param>
    /// <param name="shape">The image shape.</param>
    /// <param name="classes">Outputs of the classifier: the number of classes (at least 2).</param>
    public SupervisedPretrainingMethod(ImageEncoder encoder, SimClrAugmentationOptions augmentation, ImageShape shape, long classes)
    {
        if (classes < 2) throw new ArgumentOutOfRangeException(nameof(classes), classes, $"The classifier needs at least two classes; found {classes}.");
        Encoder = encoder;
        _augmenter = new ViewAugmenter(augmentation, shape);
        _classifier = nn.Linear(encoder.EmbeddingDim, classes);
        Classes = classes;
    }

    public string Name => "CrossEntropy";

    public ImageEncoder Encoder { get; }

    /// <summary>Outputs of the classifier head.</summary>
    public long Classes { get; }

    public IEnumerable<TorchSharp.Modules.Parameter> TrainableParameters() => Encoder.parameters().Concat(_classifier.parameters());

    public IEnumerable<nn.Module> Modules() => new nn.Module[] { Encoder, _classifier };

    public void SetTraining(bool training)
    {
        Encoder.train(training);
        _classifier.train(training);
    }

    public void MoveTo(Device device)
    {
        Encoder.to(device);
        _classifier.to(device);
    }

    public Tensor ComputeLoss(ContrastiveBatch batch)
    {
        Tensor labels = batch.Labels ?? throw new InvalidOperationException("Cross-entropy training needs class labels; the batch has none.");
        Tensor view = _augmenter.MakeView(batch.Images, batch.Generator);
        batch.ViewsMade();
        Tensor logits = _classifier.call(Encoder.forward(batch.Normalize(view)));
        Tensor loss = Losses.CrossEntropyLoss.Compute(logits, labels);
        using (NewDisposeScope())
        using (no_grad())
        {
            _correct += logits.argmax(1).eq(labels).sum().item<long>();
        }
        _seen += labels.shape[0];
        return loss;
    }

    public IReadOnlyDictionary<string, double> ProgressFigures()
    {
        var figures = new Dictionary<string, double>();
        if (_seen > 0) figures[AccuracyFigure] = (double)_correct / _seen;
        _correct = 0;
        _seen = 0;
        return figures;
    }

    public void AfterStep()
    {
    }

    public void SaveState(BinaryWriter writer)
    {
        // Module.save writes the state dictionary: parameters and buffers (BatchNorm running statistics).
        Encoder.save(writer);
        _classifier.save(writer);
    }

    public void LoadState(BinaryReader reader)
    {
        Encoder.load(reader, strict: true);
        _classifier.load(reader, strict: true);
    }

    public void Dispose()
    {
        _classifier.Dispose();
    }
}
