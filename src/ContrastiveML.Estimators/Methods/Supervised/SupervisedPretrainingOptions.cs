using ContrastiveML.Augmentation;

namespace ContrastiveML;

/// <summary>
/// Options of <see cref="SupervisedPretrainingEstimator"/>: the encoder trained supervised, with a linear classifier
/// head and the softmax cross-entropy on the label column. It is the reference a contrastive method's embedding is
/// compared with at the same budget: the same encoder, the same augmentation (one view per image instead of two),
/// the same optimiser, schedule, time budget and checkpoints. The head is dropped after training and the backbone's
/// pooled features are the embedding, as for the contrastive methods. Defaults are those of every method
/// (<see cref="ContrastiveEncoderOptions"/>), so that a comparison changes the objective alone.
/// </summary>
/// <remarks>
/// The classifier has one output per class: the number of classes comes from a pass over the label column before
/// training (key columns: the largest key). The data needs at least two classes and not every label unique.
/// The progress figure <c>batchAccuracy</c> is the mean fraction of the augmented training views classified correctly.
/// </remarks>
public sealed class SupervisedPretrainingOptions : ContrastiveEncoderOptions
{
    /// <summary>The class-label column: a scalar key, UInt32, Int32, Int64, Single, Double, Boolean or Text column.</summary>
    public string LabelColumnName = "Label";

    /// <summary>
    /// The augmentation of the one view per image; null picks the contrastive methods' defaults (SimCLR's for 3-channel
    /// input, <see cref="SimClrAugmentationOptions.ForSmallGrayscale"/> for 1-channel input), so that the comparison
    /// with SimCLR and SupCon changes the objective alone.
    /// </summary>
    public SimClrAugmentationOptions? Augmentation;

    /// <inheritdoc />
    internal override void Validate()
    {
        base.Validate();
        if (string.IsNullOrWhiteSpace(LabelColumnName)) throw new ArgumentException("The label column name must be given.", nameof(LabelColumnName));
        Augmentation?.Validate();
    }

    /// <summary>The augmentation to use for <paramref name="shape"/>.</summary>
    internal SimClrAugmentationOptions AugmentationFor(ImageShape shape) =>
        Augmentation ?? (shape.Channels == 1 ? SimClrAugmentationOptions.ForSmallGrayscale() : new SimClrAugmentationOptions());
}
