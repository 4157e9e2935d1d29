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
internal sealed class SupervisedPretrainingMethod : ContrastiveMethod
{
    /// <summary>The progress figure: the fraction of the augmented training views classified correctly.</summary>
    public const string AccuracyFigure = "batchAccuracy";

    private readonly TorchSharp.Modules.Linear _classifier;
    private long _correct;
    private long _seen;

    /// <param name="encoder">The backbone.</param>
    /// <param name="augmentation">How the one view per image is made.</param>
    /// <param name="shape">The image shape.</param>
    /// <param name="classes">Outputs of the classifier: the number of classes (at least 2).</param>
    public SupervisedPretrainingMethod(ImageEncoder encoder, SimClrAugmentationOptions augmentation, ImageShape shape, long classes)
        : base("CrossEntropy", encoder, augmentation, shape)
    {
        if (classes < 2) throw new ArgumentOutOfRangeException(nameof(classes), classes, $"The classifier needs at least two classes; found {classes}.");
        _classifier = ModuleSet.AddTrained(nn.Linear(encoder.EmbeddingDim, classes));
        Classes = classes;
    }

    /// <summary>Outputs of the classifier head.</summary>
    public long Classes { get; }

    public override Tensor ComputeLoss(ContrastiveBatch batch)
    {
        Tensor labels = batch.Labels ?? throw new InvalidOperationException("Cross-entropy training needs class labels; the batch has none.");
        Tensor view = MakeViews(batch, 1)[0];
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

    public override IReadOnlyDictionary<string, double> ProgressFigures()
    {
        var figures = new Dictionary<string, double>();
        if (_seen > 0) figures[AccuracyFigure] = (double)_correct / _seen;
        _correct = 0;
        _seen = 0;
        return figures;
    }
}
