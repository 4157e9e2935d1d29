using ContrastiveML.Augmentation;
using ContrastiveML.Encoders;
using ContrastiveML.Heads;
using ContrastiveML.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace ContrastiveML.Methods;

/// <summary>
/// The part SimCLR, SupCon and metric learning share: two augmented views per image, one forward of the encoder and the
/// training-only projection head over both, giving 2N projections; the derived method only chooses the loss over them.
/// Metric learning may go without a head (FaceNet and Hadsell et al. put the loss on the embedding itself).
/// </summary>
internal abstract class TwoViewProjectionMethod : IContrastiveMethod
{
    private readonly ViewAugmenter _augmenter;
    private readonly ProjectionHead? _head;

    /// <param name="encoder">The backbone.</param>
    /// <param name="augmentation">How views are made.</param>
    /// <param name="shape">The image shape.</param>
    /// <param name="projectionHiddenDim">Hidden size of the head; 0 uses the embedding dimension.</param>
    /// <param name="projectionDim">Output size of the head; 0 for no head (the loss then sees the encoder's embedding).</param>
    protected TwoViewProjectionMethod(ImageEncoder encoder, SimClrAugmentationOptions augmentation, ImageShape shape,
                                      int projectionHiddenDim, int projectionDim)
    {
        Encoder = encoder;
        _augmenter = new ViewAugmenter(augmentation, shape);
        int hidden = projectionHiddenDim > 0 ? projectionHiddenDim : encoder.EmbeddingDim;
        _head = projectionDim > 0 ? new ProjectionHead(encoder.EmbeddingDim, hidden, projectionDim) : null;
    }

    public abstract string Name { get; }

    public ImageEncoder Encoder { get; }

    public IEnumerable<TorchSharp.Modules.Parameter> TrainableParameters() => _head is null ? Encoder.parameters() : Encoder.parameters().Concat(_head.parameters());

    public IEnumerable<nn.Module> Modules() => _head is null ? new nn.Module[] { Encoder } : new nn.Module[] { Encoder, _head };

    public void SetTraining(bool training)
    {
        Encoder.train(training);
        _head?.train(training);
    }

    public void MoveTo(Device device)
    {
        Encoder.to(device);
        _head?.to(device);
    }

    public abstract Tensor ComputeLoss(ContrastiveBatch batch);

    public virtual IReadOnlyDictionary<string, double> ProgressFigures() => new Dictionary<string, double>();

    /// <summary>Called once the two views of a step are made, before the encoder runs; the bench times the parts of a step with it.</summary>
    public Action? ViewsMade { get; set; }

    public virtual void AfterStep()
    {
    }

    /// <summary>The method's own options a resumed Fit must share with its checkpoint (the loss's settings); none by default.</summary>
    public virtual IEnumerable<KeyValuePair<string, string>> CheckpointFingerprint() => Array.Empty<KeyValuePair<string, string>>();

    public void SaveState(BinaryWriter writer)
    {
        // Module.save writes the state dictionary: parameters and buffers (BatchNorm running mean and variance).
        Encoder.save(writer);
        _head?.save(writer);
    }

    public void LoadState(BinaryReader reader)
    {
        Encoder.load(reader, strict: true);
        _head?.load(reader, strict: true);
    }

    public void Dispose()
    {
        _head?.Dispose();
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
    protected Tensor ProjectViews(ContrastiveBatch batch, int views)
    {
        var made = new Tensor[views];
        for (int v = 0; v < views; v++) made[v] = _augmenter.MakeView(batch.Images, batch.Generator);
        ViewsMade?.Invoke();
        Tensor embeddings = Encoder.forward(batch.Normalize(views == 1 ? made[0] : cat(made, 0)));
        return _head is null ? embeddings : _head.forward(embeddings);
    }
}
