using ContrastiveML.Augmentation;

namespace ContrastiveML;

/// <summary>
/// Options of <see cref="SupConEstimator"/>: supervised contrastive learning (Khosla, Teterwak, Wang, Sarna, Tian,
/// Isola, Maschinot, Liu, Krishnan, "Supervised Contrastive Learning", NeurIPS 2020). Two augmented views of each
/// image go through the encoder and an MLP projection head; the SupCon loss (L_out) pulls together every pair of views
/// that share a class label, in the same image or not, and pushes apart views of other classes. The head is dropped
/// after training and the backbone's pooled features are the embedding.
/// </summary>
/// <remarks>
/// The data needs at least two classes and at least one class with two or more rows. By default batches are drawn
/// through the shuffle buffer as for SimCLR, so an image whose class appears once in its batch has only its own other
/// view as a positive; keep BatchSize well above the number of classes, or set <see cref="ClassBalancedBatches"/>.
/// The progress figure <c>anchorsWithPositives</c> is the mean fraction of images that have a same-class partner in
/// their batch.
/// </remarks>
public sealed class SupConOptions : LabelledEncoderOptions
{
    /// <summary>SupCon temperature; the paper uses 0.1.</summary>
    public double Temperature = 0.1;

    /// <summary>
    /// Output size of the projection head (the paper's 128); 0 for no head, the loss then comparing the (normalised)
    /// embeddings themselves, the features the linear probe reads.
    /// </summary>
    public int ProjectionDim = 128;

    /// <summary>Hidden size of the projection head; 0 uses the embedding dimension, as the paper does.</summary>
    public int ProjectionHiddenDim;

    /// <summary>
    /// Augmented views of each image in a batch: 2, as in the paper, or 1. With labels, every other image of an
    /// anchor's class in the batch is a positive, so a second view is not needed for the anchor to have positives;
    /// one view halves the encoder's work per image (so a time budget covers twice the images), and the paper's reference
    /// code accepts any number of views, one included. With one view an image whose class appears only once in its
    /// batch has no positive and is left out of that step's loss (it still serves as a negative).
    /// </summary>
    public int ViewsPerImage = 2;

    /// <summary>
    /// Weight w of an auxiliary cross-entropy term: the loss becomes SupCon + w · CE, the CE of a linear classifier on the
    /// encoder's embedding (sized from the label column's classes), trained jointly and, like the head, dropped after
    /// training. 0 (default) is the paper's SupCon alone. Khosla et al. train SupCon first and a classifier afterwards;
    /// the joint form follows Gunel, Du, Conneau and Stoyanov ("Supervised Contrastive Learning for Pre-trained Language
    /// Model Fine-tuning", ICLR 2021), whose (1 − λ)·CE + λ·SCL is this loss scaled by 1 / λ with w = (1 − λ) / λ.
    /// A short training budget is where the CE term helps: it fits the very features the linear probe reads.
    /// </summary>
    public double CrossEntropyWeight;


    /// <summary>
    /// When true, every batch holds <see cref="SamplesPerClass"/> images of each of BatchSize / SamplesPerClass classes
    /// (so every image has same-class positives), drawn from per-class buffers that together hold about
    /// <see cref="ContrastiveEncoderOptions.ShuffleBufferSize"/> rows (at least 2 * SamplesPerClass per class). Rows of a
    /// class that arrive faster than batches use them replace waiting rows of that class, so a dominant class is
    /// subsampled and an epoch may have fewer batches than RowCount / BatchSize. Default false: shuffled batches.
    /// </summary>
    public bool ClassBalancedBatches;

    /// <summary>Images per class in a class-balanced batch (used only with <see cref="ClassBalancedBatches"/>); at least 2.</summary>
    public int SamplesPerClass = 4;

    /// <inheritdoc />
    internal override void Validate()
    {
        base.Validate();
        Require(Temperature > 0 && double.IsFinite(Temperature), nameof(Temperature), Temperature, "positive");
        Require(ViewsPerImage is 1 or 2, nameof(ViewsPerImage), ViewsPerImage, "1 or 2");
        Require(ProjectionDim >= 0, nameof(ProjectionDim), ProjectionDim, "0 (no head) or positive");
        Require(CrossEntropyWeight >= 0 && double.IsFinite(CrossEntropyWeight), nameof(CrossEntropyWeight), CrossEntropyWeight, "0 (SupCon alone) or positive");
        Require(ProjectionHiddenDim >= 0, nameof(ProjectionHiddenDim), ProjectionHiddenDim, "0 (embedding dimension) or positive");
        Require(!ClassBalancedBatches || SamplesPerClass >= 2, nameof(SamplesPerClass), SamplesPerClass, "at least 2 with ClassBalancedBatches");
        Require(!ClassBalancedBatches || BatchSize >= 2 * SamplesPerClass, nameof(BatchSize), BatchSize,
                $"at least 2 * SamplesPerClass ({2 * SamplesPerClass}) with ClassBalancedBatches, so a batch holds two classes or more");
    }
}
