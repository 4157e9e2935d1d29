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
public sealed class SupervisedPretrainingOptions : LabelledEncoderOptions
{
}
