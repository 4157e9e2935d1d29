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
/// The data needs at least two classes and at least one class with two or more rows. Class-balanced batch sampling is
/// not implemented: batches are drawn through the shuffle buffer as for SimCLR, so an image whose class appears once in
/// its batch has only its own other view as a positive. The progress figure <c>anchorsWithPositives</c> is the mean
/// fraction of images that have a same-class partner in their batch; keep BatchSize well above the number of classes.
/// </remarks>
public sealed class SupConOptions : ContrastiveEncoderOptions
{
    /// <summary>The class-label column: a scalar key, UInt32, Int32, Int64, Single, Double, Boolean or Text column.</summary>
    public string LabelColumnName = "Label";

    /// <summary>SupCon temperature; the paper uses 0.1.</summary>
    public double Temperature = 0.1;

    /// <summary>Output size of the projection head (the paper's 128).</summary>
    public int ProjectionDim = 128;

    /// <summary>Hidden size of the projection head; 0 uses the embedding dimension, as the paper does.</summary>
    public int ProjectionHiddenDim;

    /// <summary>
    /// The view-making augmentation (the paper uses SimCLR's); null picks SimCLR's defaults for 3-channel input and
    /// <see cref="SimClrAugmentationOptions.ForSmallGrayscale"/> for 1-channel input.
    /// </summary>
    public SimClrAugmentationOptions? Augmentation;

    /// <inheritdoc />
    internal override void Validate()
    {
        base.Validate();
        if (string.IsNullOrWhiteSpace(LabelColumnName)) throw new ArgumentException("The label column name must be given.", nameof(LabelColumnName));
        Require(Temperature > 0 && double.IsFinite(Temperature), nameof(Temperature), Temperature, "positive");
        Require(ProjectionDim >= 1, nameof(ProjectionDim), ProjectionDim, "at least 1");
        Require(ProjectionHiddenDim >= 0, nameof(ProjectionHiddenDim), ProjectionHiddenDim, "0 (embedding dimension) or positive");
        Augmentation?.Validate();
    }

    /// <summary>The augmentation to use for <paramref name="shape"/>.</summary>
    internal SimClrAugmentationOptions AugmentationFor(ImageShape shape) =>
        Augmentation ?? (shape.Channels == 1 ? SimClrAugmentationOptions.ForSmallGrayscale() : new SimClrAugmentationOptions());
}
