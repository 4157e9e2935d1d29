using ContrastiveML.Encoders;
using ContrastiveML.Heads;
using ContrastiveML.Losses;
using ContrastiveML.Methods.MoCo;
using ContrastiveML.Training;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace ContrastiveML.Methods.DenseCl;

/// <summary>
/// DenseCL's training step (Wang et al. 2021, Algorithm 1 and the authors' code): MoCo v2 (<see cref="MoCoMethod"/>) with
/// a dense branch. Both views go through their encoder's trunk once; from each last feature map come the global
/// projection (pooled embedding, MLP head) and the S x S grid of backbone features with its dense projections (1x1-conv
/// head). Loss: (1 − λ)·InfoNCE(q, k, queue) + λ·dense InfoNCE, whose positives come from matching the grids' backbone
/// features (<see cref="DenseCorrespondence"/>) and whose negatives are a second queue. The batch's global keys and
/// its grid-averaged dense keys then enter their queues; after the optimiser step the key modules, the dense key head
/// included, follow the query modules.
/// </summary>
internal sealed class DenseClMethod : MoCoMethod
{
    /// <summary>Progress figure: the global (MoCo) InfoNCE loss, averaged since the last report.</summary>
    public const string GlobalLossFigure = "globalLoss";

    /// <summary>Progress figure: the dense InfoNCE loss, averaged since the last report.</summary>
    public const string DenseLossFigure = "denseLoss";

    private readonly double _denseLossWeight;
    private double _globalLossSum, _denseLossSum;
    private int _lossSteps;

    /// <summary>
    /// Builds MoCo's modules and queue, then the dense heads and the dense queue. Call it under Fit's initialisation lock
    /// (module and queue initialisation draw from libtorch's global generator).
    /// </summary>
    /// <param name="encoder">The query encoder (exported after training).</param>
    /// <param name="keyEncoder">A freshly built encoder of the same architecture; it becomes the key encoder.</param>
    /// <param name="options">The options (MoCo's and the dense ones).</param>
    /// <param name="shape">The image shape.</param>
    /// <param name="queueSize">K of both queues, already resolved.</param>
    /// <param name="gridSize">S, already resolved against the encoder's feature map.</param>
    public DenseClMethod(ImageEncoder encoder, ImageEncoder keyEncoder, DenseClOptions options, ImageShape shape, int queueSize, int gridSize)
        : base(encoder, keyEncoder, options, shape, queueSize)
    {
        if (gridSize < 1 || gridSize > Math.Min(encoder.FeatureMapHeight, encoder.FeatureMapWidth))
            throw new ArgumentOutOfRangeException(nameof(gridSize), gridSize, $"The grid must be 1 to {Math.Min(encoder.FeatureMapHeight, encoder.FeatureMapWidth)} cells a side for this encoder.");
        GridSize = gridSize;
        _denseLossWeight = options.DenseLossWeight;
        int hidden = options.DenseProjectionHiddenDim > 0 ? options.DenseProjectionHiddenDim : encoder.FeatureMapChannels;
        DenseHead = new DenseProjectionHead(encoder.FeatureMapChannels, hidden, options.ProjectionDim);
        RegisterQueryModule(DenseHead);
        // Built only to receive the query dense head's state, like MoCo's key head.
        KeyDenseHead = RegisterKeyModule(DenseHead, new DenseProjectionHead(encoder.FeatureMapChannels, hidden, options.ProjectionDim));
        DenseQueue = RegisterQueue(new NegativeKeyQueue(queueSize, options.ProjectionDim));
    }

    public override string Name => "DenseCL";

    /// <summary>S, the side of the grid.</summary>
    public int GridSize { get; }

    /// <summary>The query dense projection head (training only).</summary>
    public DenseProjectionHead DenseHead { get; }

    /// <summary>The momentum copy of <see cref="DenseHead"/>.</summary>
    public DenseProjectionHead KeyDenseHead { get; }

    /// <summary>The dense negatives: per earlier image, its key view's dense projections averaged over the grid.</summary>
    public NegativeKeyQueue DenseQueue { get; }

    /// <summary>The global InfoNCE queue (MoCo's), exposed for tests of the checkpoint state.</summary>
    public NegativeKeyQueue GlobalQueue => Queue;

    public override Tensor ComputeLoss(ContrastiveBatch batch)
    {
        Tensor queryView = Augmenter.MakeView(batch.Images, batch.Generator);
        Tensor keyView = Augmenter.MakeView(batch.Images, batch.Generator);
        batch.ViewsMade();

        // Query side: the trunk in BatchNorm groups (as MoCo's queries); pooling and heads have no batch statistics.
        Tensor queryMap = ShuffledBatchNorm.ForwardInGroups(Encoder.ForwardFeatureMap, batch.Normalize(queryView), BatchNormGroups);
        Tensor queries = F.normalize(QueryHead.forward(Encoder.PoolFeatureMap(queryMap)), p: 2, dim: 1);
        Tensor queryGrid = DenseFeatureGrid.Pool(queryMap, GridSize);
        Tensor queryDense = DenseHead.forward(queryGrid);

        // Key side: momentum modules, shuffled BatchNorm groups, no gradients.
        Tensor keys, keyGrid, keyDense;
        using (no_grad())
        {
            Tensor keyMap = ShuffledBatchNorm.ForwardShuffled(KeyEncoder.ForwardFeatureMap, batch.Normalize(keyView), BatchNormGroups, batch.Generator);
            keys = F.normalize(KeyHead.forward(KeyEncoder.PoolFeatureMap(keyMap)), p: 2, dim: 1);
            keyGrid = DenseFeatureGrid.Pool(keyMap, GridSize);
            keyDense = KeyDenseHead.forward(keyGrid);
        }

        Tensor globalLoss = InfoNceLoss.Compute(queries, keys, Queue.Keys, Temperature);
        Tensor matches = DenseCorrespondence.Match(queryGrid, keyGrid);
        Tensor denseLoss = DenseInfoNceLoss.Compute(queryDense, keyDense, matches, DenseQueue.Keys, Temperature);
        // The weights as kept Scalars, the sum with an explicit alpha (see KeptScalars).
        using var s = new KeptScalars();
        Tensor loss = globalLoss.mul(s.Of(1 - _denseLossWeight)).Plus(denseLoss.mul(s.Of(_denseLossWeight)));
        RecordPositiveSimilarity(queries, keys);
        _globalLossSum += globalLoss.item<float>();
        _denseLossSum += denseLoss.item<float>();
        _lossSteps++;

        // Enqueued before backward, as in MoCo and the authors' code; the losses hold normalised copies of the queues.
        Queue.Enqueue(keys);
        DenseQueue.Enqueue(keyDense.mean(new long[] { 2, 3 }));
        return loss;
    }

    /// <summary>MoCo's options plus λ and S: a resumed Fit must share them with its checkpoint (neither changes a tensor's shape).</summary>
    public override IEnumerable<KeyValuePair<string, string>> CheckpointFingerprint()
    {
        var c = System.Globalization.CultureInfo.InvariantCulture;
        return base.CheckpointFingerprint().Concat(new KeyValuePair<string, string>[]
        {
            new(nameof(DenseClOptions.DenseLossWeight), _denseLossWeight.ToString("R", c)),
            new(nameof(DenseClOptions.GridSize), GridSize.ToString(c)),
        });
    }

    public override IReadOnlyDictionary<string, double> ProgressFigures()
    {
        var figures = new Dictionary<string, double>(base.ProgressFigures());
        if (_lossSteps > 0)
        {
            figures[GlobalLossFigure] = _globalLossSum / _lossSteps;
            figures[DenseLossFigure] = _denseLossSum / _lossSteps;
        }
        _globalLossSum = 0;
        _denseLossSum = 0;
        _lossSteps = 0;
        return figures;
    }
}
