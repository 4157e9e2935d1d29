using ContrastiveML.Augmentation;
using ContrastiveML.Encoders;
using ContrastiveML.Heads;
using ContrastiveML.Losses;
using ContrastiveML.Training;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace ContrastiveML.Methods.MoCo;

/// <summary>
/// MoCo v2's training step (Chen et al. 2020; Algorithm 1 of He et al. 2020): two views per image; the first through the
/// query encoder and MLP head gives the queries q, the second through the momentum key encoder and key head (no
/// gradients, shuffled BatchNorm groups) gives the keys k; InfoNCE of q against k and the queue; the batch's keys then
/// replace the oldest keys of the queue, and after the optimiser step the key modules follow the query modules
/// (<see cref="MomentumUpdate"/>).
/// </summary>
/// <remarks>
/// Derived methods (e.g. DenseCL: MoCo v2 plus a dense head and a second queue) register their extra modules, key copies
/// and queues in the <see cref="ContrastiveMethod.ModuleSet"/>; training mode, device moves, the momentum update,
/// checkpoint state and disposal then cover them, in registration order.
/// </remarks>
internal class MoCoMethod : ContrastiveMethod
{
    /// <summary>The progress figure: the mean cosine similarity of a query and its positive key.</summary>
    public const string PositiveSimilarityFigure = "positiveSimilarity";

    private double _similaritySum;
    private int _similaritySteps;

    /// <summary>
    /// Builds the heads, the key copies and the queue. Call it where Fit builds its modules (under the initialisation lock):
    /// the heads' initial weights and the queue's initial random keys come from libtorch's global generator.
    /// </summary>
    /// <param name="encoder">The query encoder (exported after training).</param>
    /// <param name="keyEncoder">A freshly built encoder of the same architecture; it becomes the key encoder (its weights are replaced by the query encoder's).</param>
    /// <param name="options">Temperature, momentum, head sizes, BatchNorm groups, augmentation.</param>
    /// <param name="shape">The image shape.</param>
    /// <param name="queueSize">K, already resolved (see <see cref="MoCoOptions.ResolveQueueSize"/>).</param>
    /// <param name="name">Display name (a derived method passes its own).</param>
    public MoCoMethod(ImageEncoder encoder, ImageEncoder keyEncoder, MoCoOptions options, ImageShape shape, int queueSize, string name = "MoCo")
        : base(name, encoder, (options ?? throw new ArgumentNullException(nameof(options))).AugmentationFor(shape), shape)
    {
        ArgumentNullException.ThrowIfNull(keyEncoder);
        Temperature = options.Temperature;
        KeyMomentum = options.KeyMomentum;
        BatchNormGroups = options.ShuffleBatchNormGroups;
        int hidden = options.ProjectionHiddenDim > 0 ? options.ProjectionHiddenDim : encoder.EmbeddingDim;
        QueryHead = ModuleSet.AddTrained(new ProjectionHead(encoder.EmbeddingDim, hidden, options.ProjectionDim));
        // The key head is built only to receive the query head's state; building it draws like any module.
        var keyHead = new ProjectionHead(encoder.EmbeddingDim, hidden, options.ProjectionDim);
        KeyEncoder = ModuleSet.AddMomentumCopy(encoder, keyEncoder);
        KeyHead = ModuleSet.AddMomentumCopy(QueryHead, keyHead);
        Queue = ModuleSet.AddState(new NegativeKeyQueue(queueSize, options.ProjectionDim));
        DeclareSetting(nameof(MoCoOptions.QueueSize), queueSize);
        DeclareSetting(nameof(MoCoOptions.KeyMomentum), KeyMomentum);
        DeclareSetting(nameof(MoCoOptions.Temperature), Temperature);
        DeclareSetting(nameof(MoCoOptions.ShuffleBatchNormGroups), BatchNormGroups);
    }

    /// <summary>The momentum copy of <see cref="ContrastiveMethod.Encoder"/>.</summary>
    protected ImageEncoder KeyEncoder { get; }

    /// <summary>The query MLP head (training only).</summary>
    protected ProjectionHead QueryHead { get; }

    /// <summary>The momentum copy of <see cref="QueryHead"/>.</summary>
    protected ProjectionHead KeyHead { get; }

    /// <summary>The queue of negative keys.</summary>
    protected NegativeKeyQueue Queue { get; }

    /// <summary>InfoNCE temperature τ.</summary>
    protected double Temperature { get; }

    /// <summary>Momentum m of the key modules.</summary>
    protected double KeyMomentum { get; }

    /// <summary>Shuffling-BatchNorm groups (see <see cref="ShuffledBatchNorm"/>).</summary>
    protected int BatchNormGroups { get; }

    public override Tensor ComputeLoss(ContrastiveBatch batch)
    {
        Tensor[] views = MakeViews(batch, 2);
        Tensor queries = Queries(batch.Normalize(views[0]));
        Tensor keys = Keys(batch.Normalize(views[1]), batch.Generator);
        Tensor loss = InfoNceLoss.Compute(queries, keys, Queue.Keys, Temperature);
        RecordPositiveSimilarity(queries, keys);
        // Enqueued before backward, as in MoCo's code. Safe for autograd: the queue never requires gradients, so the loss
        // graph holds InfoNceLoss's normalised copy of it, not the queue itself (were that to change, backward would fail
        // loudly with libtorch's in-place modification check, not silently).
        Queue.Enqueue(keys);
        return loss;
    }

    public override IReadOnlyDictionary<string, double> ProgressFigures()
    {
        var figures = new Dictionary<string, double>();
        if (_similaritySteps > 0) figures[PositiveSimilarityFigure] = _similaritySum / _similaritySteps;
        _similaritySum = 0;
        _similaritySteps = 0;
        return figures;
    }

    /// <summary>The momentum update of every key module.</summary>
    public override void AfterStep() => ModuleSet.FollowTrained(KeyMomentum);

    /// <summary>q: the normalised query-side projections [N, D] of normalised images, BatchNorm per group of rows.</summary>
    protected Tensor Queries(Tensor images) =>
        F.normalize(ShuffledBatchNorm.ForwardInGroups(x => QueryHead.forward(Encoder.forward(x)), images, BatchNormGroups), p: 2, dim: 1);

    /// <summary>k: the normalised key-side projections [N, D] of normalised images, without gradients, BatchNorm per group of shuffled rows.</summary>
    protected Tensor Keys(Tensor images, Generator generator)
    {
        using var noGrad = no_grad();
        return F.normalize(ShuffledBatchNorm.ForwardShuffled(x => KeyHead.forward(KeyEncoder.forward(x)), images, BatchNormGroups, generator), p: 2, dim: 1);
    }

    /// <summary>Adds the batch's mean q·k to the progress figure (both are unit vectors: a cosine similarity).</summary>
    protected void RecordPositiveSimilarity(Tensor queries, Tensor keys)
    {
        using (NewDisposeScope())
        using (no_grad())
        {
            _similaritySum += queries.mul(keys).sum(1).mean().item<float>();
        }
        _similaritySteps++;
    }
}
