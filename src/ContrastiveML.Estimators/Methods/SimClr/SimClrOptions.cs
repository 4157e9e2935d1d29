using ContrastiveML.Augmentation;

namespace ContrastiveML;

/// <summary>
/// Options of <see cref="SimClrEstimator"/>: SimCLR (Chen, Kornblith, Norouzi, Hinton, "A Simple Framework for
/// Contrastive Learning of Visual Representations", ICML 2020). Two strongly augmented views of each image are
/// pulled together and pushed away from the other 2N-2 views of the batch by the NT-Xent loss on the output of an
/// MLP projection head; the head is dropped after training and the backbone's pooled features are the embedding.
/// </summary>
public sealed class SimClrOptions : ContrastiveEncoderOptions
{
    /// <summary>
    /// NT-Xent temperature. The paper's CIFAR-10 experiments (appendix B.9) find 0.5 best at batch sizes of a few
    /// hundred; ImageNet runs with batch 4096 use 0.1.
    /// </summary>
    public double Temperature = 0.5;

    /// <summary>Output size of the projection head (the paper's 128).</summary>
    public int ProjectionDim = 128;

    /// <summary>Hidden size of the projection head; 0 uses the embedding dimension, as the paper does.</summary>
    public int ProjectionHiddenDim;


    /// <inheritdoc />
    internal override void Validate()
    {
        base.Validate();
        Require(Temperature > 0 && double.IsFinite(Temperature), nameof(Temperature), Temperature, "positive");
        Require(ProjectionDim >= 1, nameof(ProjectionDim), ProjectionDim, "at least 1");
        Require(ProjectionHiddenDim >= 0, nameof(ProjectionHiddenDim), ProjectionHiddenDim, "0 (embedding dimension) or positive");
    }
}
