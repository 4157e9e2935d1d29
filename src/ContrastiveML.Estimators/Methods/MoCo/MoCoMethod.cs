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
/// Derived methods (e.g. DenseCL: MoCo v2 plus a dense head and a second queue) register their extra modules with
/// <see cref="RegisterQueryModule"/> / <see cref="RegisterKeyModule{TModule}"/> and queues with <see cref="RegisterQueue"/>;
/// training mode, device moves, the momentum update, checkpoint state and disposal then cover them, in registration order.
/// </remarks>
internal class MoCoMethod : IContrastiveMethod
{
    /// <summary>The progress figure: the mean cosine similarity of a query and its positive key.</summary>
    public const string PositiveSimilarityFigure = "positiveSimilarity";

    private readonly List<nn.Module> _queryModules = new();
    private readonly List<nn.Module> _keyModules = new();
    private readonly List<MomentumUpdate> _momentumUpdates = new();
    private readonly List<NegativeKeyQueue> _queues = new();
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
    public MoCoMethod(ImageEncoder encoder, ImageEncoder keyEncoder, MoCoOptions options, ImageShape shape, int queueSize)
    {
        ArgumentNullException.ThrowIfNull(encoder);
        ArgumentNullException.ThrowIfNull(keyEncoder);
        ArgumentNullException.ThrowIfNull(options);
        Encoder = encoder;
        Temperature = options.Temperature;
        KeyMomentum = options.KeyMomentum;
        BatchNormGroups = options.ShuffleBatchNormGroups;
        Augmenter = new ViewAugmenter(options.AugmentationFor(shape), shape);
        int hidden = options.ProjectionHiddenDim > 0 ? options.ProjectionHiddenDim : encoder.EmbeddingDim;
        QueryHead = new ProjectionHead(encoder.EmbeddingDim, hidden, options.ProjectionDim);
        // The key head is built only to receive the query head's state; building it draws like any module.
        var keyHead = new ProjectionHead(encoder.EmbeddingDim, hidden, options.ProjectionDim);
        RegisterQueryModule(encoder);
        RegisterQueryModule(QueryHead);
        KeyEncoder = RegisterKeyModule(encoder, keyEncoder);
        KeyHead = RegisterKeyModule(QueryHead, keyHead);
        Queue = RegisterQueue(new NegativeKeyQueue(queueSize, options.ProjectionDim));
    }

    public virtual string Name => "MoCo";

    /// <summary>The query encoder, trained by the optimiser and exported.</summary>
    public ImageEncoder Encoder { get; }

    /// <summary>The momentum copy of <see cref="Encoder"/>.</summary>
    protected ImageEncoder KeyEncoder { get; }

    /// <summary>The query MLP head (training only).</summary>
    protected ProjectionHead QueryHead { get; }

    /// <summary>The momentum copy of <see cref="QueryHead"/>.</summary>
    protected ProjectionHead KeyHead { get; }

    /// <summary>The queue of negative keys.</summary>
    protected NegativeKeyQueue Queue { get; }

    /// <summary>Makes the views.</summary>
    protected ViewAugmenter Augmenter { get; }

    /// <summary>InfoNCE temperature τ.</summary>
    protected double Temperature { get; }

    /// <summary>Momentum m of the key modules.</summary>
    protected double KeyMomentum { get; }

    /// <summary>Shuffling-BatchNorm groups (see <see cref="ShuffledBatchNorm"/>).</summary>
    protected int BatchNormGroups { get; }

    /// <summary>The parameters of every query module (the key modules are never optimised).</summary>
    public IEnumerable<TorchSharp.Modules.Parameter> TrainableParameters() => _queryModules.SelectMany(m => m.parameters());

    /// <summary>The query modules, then the key modules.</summary>
    public IEnumerable<nn.Module> Modules() => _queryModules.Concat(_keyModules);

    /// <summary>Training mode for the query and key modules alike: the key encoder normalises with its batch's statistics, as in MoCo.</summary>
    public void SetTraining(bool training)
    {
        foreach (nn.Module module in _queryModules.Concat(_keyModules)) module.train(training);
    }

    public void MoveTo(Device device)
    {
        foreach (nn.Module module in _queryModules.Concat(_keyModules)) module.to(device);
        foreach (NegativeKeyQueue queue in _queues) queue.MoveTo(device);
    }

    public virtual Tensor ComputeLoss(ContrastiveBatch batch)
    {
        Tensor queryView = Augmenter.MakeView(batch.Images, batch.Generator);
        Tensor keyView = Augmenter.MakeView(batch.Images, batch.Generator);
        batch.ViewsMade();
        Tensor queries = Queries(batch.Normalize(queryView));
        Tensor keys = Keys(batch.Normalize(keyView), batch.Generator);
        Tensor loss = InfoNceLoss.Compute(queries, keys, Queue.Keys, Temperature);
        RecordPositiveSimilarity(queries, keys);
        // Enqueued before backward, as in MoCo's code. Safe for autograd: the queue never requires gradients, so the loss
        // graph holds InfoNceLoss's normalised copy of it, not the queue itself (were that to change, backward would fail
        // loudly with libtorch's in-place modification check, not silently).
        Queue.Enqueue(keys);
        return loss;
    }

    public virtual IReadOnlyDictionary<string, double> ProgressFigures()
    {
        var figures = new Dictionary<string, double>();
        if (_similaritySteps > 0) figures[PositiveSimilarityFigure] = _similaritySum / _similaritySteps;
        _similaritySum = 0;
        _similaritySteps = 0;
        return figures;
    }

    /// <summary>MoCo's options a resumed Fit must share with its checkpoint (the shared ones are checked by the trainer).</summary>
    public virtual IEnumerable<KeyValuePair<string, string>> CheckpointFingerprint()
    {
        var c = System.Globalization.CultureInfo.InvariantCulture;
        return new KeyValuePair<string, string>[]
        {
            new(nameof(MoCoOptions.QueueSize), Queue.Capacity.ToString(c)),
            new(nameof(MoCoOptions.KeyMomentum), KeyMomentum.ToString("R", c)),
            new(nameof(MoCoOptions.Temperature), Temperature.ToString("R", c)),
            new(nameof(MoCoOptions.ShuffleBatchNormGroups), BatchNormGroups.ToString(c)),
        };
    }

    /// <summary>The momentum update of every key module.</summary>
    public virtual void AfterStep()
    {
        foreach (MomentumUpdate update in _momentumUpdates) update.Apply(KeyMomentum);
    }

    /// <summary>Query modules, key modules (parameters and buffers), then the queues with their pointers.</summary>
    public void SaveState(BinaryWriter writer)
    {
        foreach (nn.Module module in _queryModules.Concat(_keyModules)) module.save(writer);
        foreach (NegativeKeyQueue queue in _queues) queue.Save(writer);
    }

    public void LoadState(BinaryReader reader)
    {
        foreach (nn.Module module in _queryModules.Concat(_keyModules)) module.load(reader, strict: true);
        foreach (NegativeKeyQueue queue in _queues) queue.Load(reader);
    }

    /// <summary>Disposes every registered module except the query encoder (its owner, Fit, exports it) and the queues.</summary>
    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Releases the heads, key modules and queues.</summary>
    protected virtual void Dispose(bool disposing)
    {
        if (!disposing) return;
        foreach (nn.Module module in _queryModules.Concat(_keyModules).Where(m => !ReferenceEquals(m, Encoder))) module.Dispose();
        foreach (NegativeKeyQueue queue in _queues) queue.Dispose();
    }

    /// <summary>q: the normalised query-side projections [N, D] of normalised images, BatchNorm per group of rows.</summary>
    protected Tensor Queries(Tensor images) =>
        F.normalize(ShuffledBatchNorm.ForwardInGroups(x => QueryHead.forward(Encoder.forward(x)), images, BatchNormGroups), p: 2, dim: 1);

    /// <summary>k: the normalised key-side projections [N, D] of normalised images, without gradients, BatchNorm per group of shuffled rows.</summary>
    protected Tensor Keys(Tensor images, Generator generator)
    {
        using var noGrad = no_grad();
        return F.normalize(ShuffledBatchNorm.ForwardShuffled(x => KeyHead.forward(KeyEncoder.forward(x)), images, BatchNormGroups, generator), p: 2, dim: 1);
    }

    /// <summary>Registers a module the optimiser trains (training mode, device, checkpoint state, disposal).</summary>
    protected void RegisterQueryModule(nn.Module module) => _queryModules.Add(module);

    /// <summary>Registers <paramref name="key"/> as the momentum copy of the query module <paramref name="query"/>; copies its state now.</summary>
    protected TModule RegisterKeyModule<TModule>(TModule query, TModule key) where TModule : nn.Module
    {
        _momentumUpdates.Add(new MomentumUpdate(query, key));
        _keyModules.Add(key);
        return key;
    }

    /// <summary>Registers a queue (device, checkpoint state, disposal).</summary>
    protected NegativeKeyQueue RegisterQueue(NegativeKeyQueue queue)
    {
        _queues.Add(queue);
        return queue;
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
