using ContrastiveML.Augmentation;
using ContrastiveML.Encoders;
using ContrastiveML.Heads;
using ContrastiveML.Training;
using static TorchSharp.torch;

namespace ContrastiveML.Methods;

/// <summary>
/// The part SimCLR, SupCon and metric learning share: two augmented views per image, one forward of the encoder and the
/// training-only projection head over both, giving 2N projections; the derived method only chooses the loss over them.
/// Metric learning may go without a head (FaceNet and Hadsell et al. put the loss on the embedding itself).
/// </summary>
internal abstract class TwoViewProjectionMethod : ContrastiveMethod
{
    private readonly ProjectionHead? _head;

    /// <param name="name">Display name.</param>
    /// <param name="encoder">The backbone.</param>
    /// <param name="augmentation">How views are made.</param>
    /// <param name="shape">The image shape.</param>
    /// <param name="projectionHiddenDim">Hidden size of the head; 0 uses the embedding dimension.</param>
    /// <param name="projectionDim">Output size of the head; 0 for no head (the loss then sees the encoder's embedding).</param>
    protected TwoViewProjectionMethod(string name, ImageEncoder encoder, SimClrAugmentationOptions augmentation, ImageShape shape,
                                      int projectionHiddenDim, int projectionDim)
        : base(name, encoder, augmentation, shape)
    {
        int hidden = projectionHiddenDim > 0 ? projectionHiddenDim : encoder.EmbeddingDim;
        _head = projectionDim > 0 ? ModuleSet.AddTrained(new ProjectionHead(encoder.EmbeddingDim, hidden, projectionDim)) : null;
    }

    /// <summary>
    /// [2N, projection] projections (the [2N, embedding] embeddings without a head) of two fresh views of the batch's N
    /// images: rows 0..N-1 the first views, N..2N-1 the second views of the same images. One forward over both, so
    /// BatchNorm sees all 2N views together, as in SimCLR.
    /// </summary>
    protected Tensor ProjectTwoViews(ContrastiveBatch batch) => ProjectViews(batch, 2);

    /// <summary>
    /// As <see cref="ProjectTwoViews"/> for <paramref name="views"/> views per image (SupCon may take one): [V·N, projection],
    /// view v of image i in row v·N + i.
    /// </summary>
    protected Tensor ProjectViews(ContrastiveBatch batch, int views) => EmbedAndProjectViews(batch, views).Projections;

    /// <summary>
    /// As <see cref="ProjectViews"/>, also returning the encoder's [V·N, embedding] embeddings the projections were made
    /// from (the same tensor as the projections when there is no head).
    /// </summary>
    protected (Tensor Embeddings, Tensor Projections) EmbedAndProjectViews(ContrastiveBatch batch, int views)
    {
        Tensor[] made = MakeViews(batch, views);
        Tensor embeddings = Encoder.forward(batch.Normalize(views == 1 ? made[0] : cat(made, 0)));
        return (embeddings, _head is null ? embeddings : _head.forward(embeddings));
    }
}
