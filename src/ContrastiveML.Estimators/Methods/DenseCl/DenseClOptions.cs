namespace ContrastiveML;

/// <summary>
/// Options of <see cref="DenseClEstimator"/>: DenseCL (Wang, Zhang, Shen, Kong, Li, "Dense Contrastive Learning for
/// Self-Supervised Visual Pre-Training", CVPR 2021). MoCo v2 (every option of <see cref="MoCoOptions"/> applies: global
/// MLP head, momentum key encoder, queue, temperature, shuffled BatchNorm, augmentation) plus a dense branch: the
/// encoder's last feature map, pooled to an S x S grid, goes through a dense projection head (1x1 conv, ReLU, 1x1 conv,
/// <see cref="MoCoOptions.ProjectionDim"/> channels); each query cell's positive is the key view's cell whose backbone
/// features are the most similar (cosine, argmax), its negatives a second queue of keys. The loss is
/// (1 − λ)·L_global + λ·L_dense. The heads and the key encoder are dropped after training; the query encoder's pooled
/// features are the embedding, and <see cref="DenseOutputColumnName"/> also exports its grid of dense features.
/// </summary>
/// <remarks>
/// The paper's values: λ = 0.5, S = 7 (the 7x7 last map of a ResNet-50 at 224x224), 128-d projections, τ = 0.2,
/// momentum 0.999, queues of 65,536 keys. <see cref="MoCoOptions.QueueSize"/> sizes both queues (as in the authors'
/// code), so an explicit value must leave memory for two queues. The dense queue holds, per image, the key view's
/// dense projections averaged over the grid (the authors' code), not one key per cell.
/// </remarks>
public sealed class DenseClOptions : MoCoOptions
{
    /// <summary>DenseCL's λ, the dense loss's share of the total.</summary>
    public const double PaperDenseLossWeight = 0.5;

    /// <summary>
    /// λ in [0, 1]: the loss is (1 − λ)·L_global + λ·L_dense. The paper's 0.5; 0 trains MoCo v2 alone (the dense head
    /// and queue then learn nothing), 1 the dense loss alone (the paper's ablation of λ finds 0.5 the best trade-off between
    /// detection and classification transfer).
    /// </summary>
    public double DenseLossWeight = PaperDenseLossWeight;

    /// <summary>
    /// S, the side of the grid the encoder's last feature map is average-pooled to for the dense branch (and for
    /// <see cref="DenseOutputColumnName"/>); at least 1 and at most the feature map's smaller side. Null (the default)
    /// uses the paper's 7, or the feature map's smaller side when that is smaller (a CompactCnn on 28x28 images has a
    /// 7x7 map; a ResNet18 on 32x32 images a 4x4 one); Fit logs the value used.
    /// </summary>
    public int? GridSize;

    /// <summary>Hidden channels of the dense projection head; 0 uses the feature map's channel count, as the paper does (2048 for ResNet-50).</summary>
    public int DenseProjectionHiddenDim;

    /// <summary>
    /// When set, the fitted transformer also writes this column: the encoder's last feature map average-pooled to the
    /// S x S grid (see <see cref="GridSize"/>), a known-size float vector of C*S*S values in CHW order (value (c, y, x) at
    /// c*S*S + y*S + x), for dense downstream tasks. The exported ONNX model then has it as a second output, checked
    /// against TorchSharp like the embedding. Null (the default): the embedding only.
    /// </summary>
    public string? DenseOutputColumnName;

    /// <inheritdoc />
    internal override void Validate()
    {
        base.Validate();
        Require(DenseLossWeight >= 0 && DenseLossWeight <= 1, nameof(DenseLossWeight), DenseLossWeight, "in [0, 1] (DenseCL uses 0.5)");
        Require(GridSize is null || GridSize >= 1, nameof(GridSize), GridSize, "null (the paper's 7, or the feature map's size when smaller) or at least 1");
        Require(DenseProjectionHiddenDim >= 0, nameof(DenseProjectionHiddenDim), DenseProjectionHiddenDim, "0 (the feature map's channel count) or positive");
        if (DenseOutputColumnName is string dense)
        {
            if (string.IsNullOrWhiteSpace(dense))
                throw new ArgumentException("The dense output column name must be null (no dense output) or a column name.", nameof(DenseOutputColumnName));
            Require(dense != OutputColumnName && dense != InputColumnName, nameof(DenseOutputColumnName), dense,
                    $"a column other than OutputColumnName ('{OutputColumnName}') and InputColumnName ('{InputColumnName}')");
        }
        if (QueueSize is int queueSize)
        {
            // Two queues of this size: the base check covered one.
            long bytes = 2 * QueueBytes(queueSize, ProjectionDim);
            long available = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
            Require(bytes <= available / 2, nameof(QueueSize), queueSize,
                    $"small enough for DenseCL's two queues of {queueSize} x {ProjectionDim} float32 keys ({bytes:N0} bytes) to fit in half the memory available to this process ({available:N0} bytes)");
        }
    }
}
