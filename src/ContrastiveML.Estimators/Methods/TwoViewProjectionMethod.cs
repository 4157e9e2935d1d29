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
    // The training-only modules besides the encoder (the head, then any a derived method adds), in checkpoint order.
    private readonly List<nn.Module> _trainingModules = new();

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
        if (_head != null) _trainingModules.Add(_head);
    }

    /// <summary>
    /// Registers a training-only module of the derived method (e.g. SupCon's auxiliary classifier): it is trained,
    /// moved, switched between modes, checkpointed after the head, disposed with the method, and dropped after training.
    /// </summary>
    protected void AddTrainingModule(nn.Module module) => _trainingModules.Add(module);

    public abstract string Name { get; }

    public ImageEncoder Encoder { get; }

    public IEnumerable<TorchSharp.Modules.Parameter> TrainableParameters() => Modules().SelectMany(m => m.parameters());

    public IEnumerable<nn.Module> Modules() => _trainingModules.Prepend(Encoder);

    public void SetTraining(bool training)
    {
        foreach (nn.Module module in Modules()) module.train(training);
    }

    public void MoveTo(Device device)
    {
        foreach (nn.Module module in Modules()) module.to(device);
    }

    public abstract Tensor ComputeLoss(ContrastiveBatch batch);

    public virtual IReadOnlyDictionary<string, double> ProgressFigures() => new Dictionary<string, double>();

    public virtual void AfterStep()
    {
    }

    /// <summary>The method's own options a resumed Fit must share with its checkpoint (the loss's settings); none by default.</summary>
    public virtual IEnumerable<KeyValuePair<string, string>> CheckpointFingerprint() => Array.Empty<KeyValuePair<string, string>>();

    public void SaveState(BinaryWriter writer)
    {
        // Module.save writes the state dictionary: parameters and buffers (BatchNorm running mean and variance).
        foreach (nn.Module module in Modules()) module.save(writer);
    }

    public void LoadState(BinaryReader reader)
    {
        foreach (nn.Module module in Modules()) module.load(reader, strict: true);
    }

    /// <summary>Disposes the training-only modules; the encoder belongs to the caller.</summary>
    public void Dispose()
    {
        foreach (nn.Module module in _trainingModules) module.Dispose();
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
        var made = new Tensor[views];
        for (int v = 0; v < views; v++) made[v] = _augmenter.MakeView(batch.Images, batch.Generator);
        batch.ViewsMade();
        Tensor embeddings = Encoder.forward(batch.Normalize(views == 1 ? made[0] : cat(made, 0)));
        return (embeddings, _head is null ? embeddings : _head.forward(embeddings));
    }
}
