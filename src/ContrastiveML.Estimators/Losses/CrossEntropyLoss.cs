using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace ContrastiveML.Losses;

/// <summary>
/// The softmax cross-entropy of classifier logits against integer class labels: the standard supervised objective,
/// and the reference that supervised contrastive learning is measured against (Khosla et al., "Supervised Contrastive
/// Learning", NeurIPS 2020, §4 and Table 2, cross-entropy rows).
/// </summary>
/// <remarks>
/// For the N rows x_i ∈ ℝ^K of <c>logits</c> and labels y_i ∈ {0, …, K−1}:
/// <code>
/// ℓ_i = −log( exp(x_{i,y_i}) / Σ_k exp(x_{i,k}) ) = log Σ_k exp(x_{i,k}) − x_{i,y_i}
/// L = (1 / N) Σ_i ℓ_i
/// </code>
/// computed through log-softmax (log-sum-exp with the row maximum subtracted), so large logits do not overflow.
/// With all logits of a row equal, ℓ_i = log K; it tends to 0 as x_{i,y_i} outgrows the other logits.
/// </remarks>
public static class CrossEntropyLoss
{
    /// <summary>
    /// Computes the mean cross-entropy over the N rows; a scalar tensor on the inputs' device that carries gradients
    /// back to <paramref name="logits"/>.
    /// </summary>
    /// <param name="logits">Unnormalised class scores, [N, K] with N ≥ 1 and K ≥ 2, floating point.</param>
    /// <param name="labels">Class indices, [N] int64 in [0, K), on the device of <paramref name="logits"/>.</param>
    /// <exception cref="ArgumentException">The shapes, types or devices do not fit, K &lt; 2, or a label is outside [0, K).</exception>
    public static Tensor Compute(Tensor logits, Tensor labels)
    {
        ArgumentNullException.ThrowIfNull(logits);
        ArgumentNullException.ThrowIfNull(labels);
        LossChecks.FeaturesAndLabels(logits, labels, nameof(logits), nameof(labels));
        long classes = logits.shape[1];
        if (classes < 2)
            throw new ArgumentException($"Expected logits of at least two classes; got [{string.Join(", ", logits.shape)}].", nameof(logits));
        using (NewDisposeScope())
        {
            long smallest = labels.min().item<long>(), largest = labels.max().item<long>();
            if (smallest < 0 || largest >= classes)
                throw new ArgumentException($"Labels must be class indices in [0, {classes}); found values from {smallest} to {largest}.", nameof(labels));
        }
        return F.cross_entropy(logits, labels);
    }
}
