using ContrastiveML.Augmentation;

namespace ContrastiveML;

/// <summary>
/// Options of <see cref="MoCoEstimator"/>: MoCo v2 (Chen, Fan, Girshick, He, "Improved Baselines with Momentum
/// Contrastive Learning", arXiv 2003.04297, 2020, on top of He, Fan, Wu, Xie, Girshick, "Momentum Contrast for
/// Unsupervised Visual Representation Learning", CVPR 2020). A query encoder and MLP head are trained with the InfoNCE
/// loss to match each image's query (one augmented view) to its key (another view through a key encoder and head that
/// follow the query ones as an exponential moving average), against a queue of keys from earlier batches as negatives.
/// The heads and the key encoder are dropped after training; the query encoder's pooled features are the embedding.
/// </summary>
/// <remarks>
/// Defaults are the paper's where they carry over (temperature 0.2, momentum 0.999, queue 65,536, 128-d MLP head,
/// SimCLR-style augmentation with blur). The optimiser and learning rate stay those of
/// <see cref="ContrastiveEncoderOptions"/> (AdamW, 2e-3), sized for short CPU runs; the paper uses SGD with learning rate
/// 0.03, weight decay 1e-4, momentum 0.9 and a cosine schedule over 200 ImageNet epochs. The paper's momentum 0.999
/// makes the key encoder average over about 1,000 steps: right for hundreds of epochs, slow for a few thousand steps
/// (see docs/methods/moco.md for short budgets). Not sealed: methods built on MoCo (e.g. DenseCL) extend these options.
/// </remarks>
public class MoCoOptions : ContrastiveEncoderOptions
{
    /// <summary>The paper's queue size K.</summary>
    public const int PaperQueueSize = 65_536;

    /// <summary>InfoNCE temperature τ; MoCo v2 uses 0.2 (MoCo v1 used 0.07).</summary>
    public double Temperature = 0.2;

    /// <summary>
    /// Momentum m of the key encoder and key head: after each optimiser step θ_k ← m·θ_k + (1 − m)·θ_q. In [0, 1); the
    /// paper's 0.999. MoCo v1's ablation (§4.1) found 0.99, 0.999 and 0.9999 about equal (57.8, 59.0, 58.9% linear
    /// accuracy), 0.9 worse (55.2%) and 0 failing to train.
    /// </summary>
    public double KeyMomentum = 0.999;

    /// <summary>
    /// K, the number of negative keys in the queue. Null (the default) uses the paper's 65,536, or half the training rows
    /// when the data has fewer than 131,072 rows (never fewer than the batch size), and logs the size chosen: a queue
    /// longer than an epoch still holds an image's own key from its previous visit when the image comes back, and that key
    /// then counts as a negative of its own query. An explicit value is used as given: it must be at least the batch size
    /// and its K × ProjectionDim float32 keys must fit in memory (at most 2 GiB and half the memory available to the
    /// process); a value of at least the row count is logged as holding the query's own earlier key.
    /// </summary>
    public int? QueueSize;

    /// <summary>Output size of the MLP head (the paper's 128).</summary>
    public int ProjectionDim = 128;

    /// <summary>Hidden size of the MLP head; 0 uses the embedding dimension, as MoCo v2 does (2048 for ResNet-50).</summary>
    public int ProjectionHiddenDim;

    /// <summary>
    /// Shuffling BatchNorm on one device: the batch goes through each encoder in this many groups, BatchNorm normalising
    /// every group on its own, and the key encoder's batch is shuffled across the groups (and unshuffled after), as the
    /// paper's multi-GPU shuffling BN does with one group per GPU. Default 4 (groups of 64 at batch 256, the paper's
    /// 8 GPUs had 32 each). 1 turns it off: one BatchNorm over the whole batch for both encoders. A smaller batch (the
    /// last of an epoch) uses at most batch / 2 groups. BatchSize must be at least twice this.
    /// </summary>
    public int ShuffleBatchNormGroups = 4;


    /// <inheritdoc />
    internal override void Validate()
    {
        base.Validate();
        Require(Temperature > 0 && double.IsFinite(Temperature), nameof(Temperature), Temperature, "positive (MoCo v2 uses 0.2)");
        Require(KeyMomentum >= 0 && KeyMomentum < 1, nameof(KeyMomentum), KeyMomentum, "in [0, 1) (MoCo uses 0.999)");
        Require(ProjectionDim >= 1, nameof(ProjectionDim), ProjectionDim, "at least 1");
        Require(ProjectionHiddenDim >= 0, nameof(ProjectionHiddenDim), ProjectionHiddenDim, "0 (embedding dimension) or positive");
        Require(ShuffleBatchNormGroups >= 1, nameof(ShuffleBatchNormGroups), ShuffleBatchNormGroups, "at least 1 (1 turns shuffling BatchNorm off)");
        Require(BatchSize >= 2 * ShuffleBatchNormGroups, nameof(BatchSize), BatchSize,
                $"at least 2 * ShuffleBatchNormGroups ({2L * ShuffleBatchNormGroups}) so every BatchNorm group holds two images or more");
        if (QueueSize is int queueSize)
        {
            Require(queueSize >= BatchSize, nameof(QueueSize), queueSize,
                    $"null (automatic) or at least BatchSize ({BatchSize}): each step enqueues a batch of keys, so a smaller queue would drop keys before they are ever used as negatives");
            long bytes = QueueBytes(queueSize, ProjectionDim);
            long available = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
            Require(bytes <= MaxQueueBytes, nameof(QueueSize), queueSize,
                    $"small enough for its {queueSize} x {ProjectionDim} float32 keys ({bytes:N0} bytes) to fit the 2 GiB a queue may take");
            Require(bytes <= available / 2, nameof(QueueSize), queueSize,
                    $"small enough for its {queueSize} x {ProjectionDim} float32 keys ({bytes:N0} bytes) to fit in half the memory available to this process ({available:N0} bytes)");
        }
    }

    /// <summary>The largest queue in bytes (its checkpoint state is written as one block).</summary>
    internal const long MaxQueueBytes = int.MaxValue;

    /// <summary>Bytes of a queue of <paramref name="size"/> float32 keys of <paramref name="dimension"/>.</summary>
    internal static long QueueBytes(int size, int dimension) => (long)size * dimension * sizeof(float);

    /// <summary>
    /// The queue size for a Fit over <paramref name="rows"/> rows in batches of <paramref name="batchSize"/>:
    /// <see cref="QueueSize"/> when given, otherwise min(65,536, rows / 2), at least the batch size (see <see cref="QueueSize"/>).
    /// </summary>
    internal int ResolveQueueSize(long rows, int batchSize) =>
        QueueSize ?? (int)Math.Max(batchSize, Math.Min(PaperQueueSize, rows / 2));
}
