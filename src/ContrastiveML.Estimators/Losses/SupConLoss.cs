using ContrastiveML.Training;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace ContrastiveML.Losses;

/// <summary>
/// The supervised contrastive loss of Khosla et al., "Supervised Contrastive Learning", NeurIPS 2020, in its
/// L_out form (eq. 2, the form the paper recommends).
/// </summary>
/// <remarks>
/// The M = V·N rows of <c>features</c> (V already-stacked views of N samples) are L2-normalised, so
/// sim(u, v) = uᵀv / (‖u‖‖v‖). With A(i) = every row other than i and P(i) = the rows of A(i) with the same label
/// as i (the anchor's other views and every other sample of its class):
/// <code>
/// ℓ_i = −(1 / |P(i)|) Σ_{p ∈ P(i)} log( exp(sim(z_i, z_p) / τ) / Σ_{a ∈ A(i)} exp(sim(z_i, z_a) / τ) )
/// L = (1 / |I⁺|) Σ_{i ∈ I⁺} ℓ_i,    I⁺ = { i : |P(i)| &gt; 0 }
/// </code>
/// Anchors with no positive (a label that appears once in the batch) are left out of the mean rather than
/// dividing by |P(i)| = 0. When no anchor has a positive, the loss is a zero that is still connected to
/// <c>features</c> (0 · Σ features), so <c>backward()</c> works and gives zero gradients instead of failing or
/// producing NaN. When every label is unique except the two views of each sample, P(i) is the other view alone
/// and the loss equals NT-Xent (<see cref="NtXentLoss"/>). The self-similarity logit is replaced by a large
/// negative number before log-softmax, so the computation stays stable for small τ.
/// </remarks>
public static class SupConLoss
{
    private const double MaskedLogit = -1e9;

    /// <summary>Computes the SupCon loss; see <see cref="Compute(Tensor, Tensor, double, out long)"/>.</summary>
    /// <param name="features">Projections of all views, [M, D], views already stacked (e.g. [2N, D]).</param>
    /// <param name="labels">Class labels of the rows, [M], int64; the views of one sample share its label.</param>
    /// <param name="temperature">τ &gt; 0; the paper uses 0.1.</param>
    public static Tensor Compute(Tensor features, Tensor labels, double temperature = 0.1) =>
        Compute(features, labels, temperature, out _);

    /// <summary>
    /// Computes the mean SupCon loss over the anchors that have at least one positive; a scalar tensor on the inputs'
    /// device that carries gradients back to <paramref name="features"/>.
    /// </summary>
    /// <param name="features">Projections of all views, [M, D], views already stacked (e.g. [2N, D]).</param>
    /// <param name="labels">Class labels of the rows, [M], int64; the views of one sample share its label.</param>
    /// <param name="temperature">τ &gt; 0; the paper uses 0.1.</param>
    /// <param name="anchorsWithPositives">How many rows had at least one positive, i.e. entered the mean; 0 means the
    /// returned loss is the graph-connected zero described in the remarks.</param>
    /// <exception cref="ArgumentOutOfRangeException">The temperature is not a positive finite number.</exception>
    /// <exception cref="ArgumentException">The features are not [M, D] with M, D ≥ 1, or the labels are not an int64
    /// vector of length M on the same device.</exception>
    public static Tensor Compute(Tensor features, Tensor labels, double temperature, out long anchorsWithPositives)
    {
        ArgumentNullException.ThrowIfNull(features);
        ArgumentNullException.ThrowIfNull(labels);
        if (!(temperature > 0 && double.IsFinite(temperature)))
            throw new ArgumentOutOfRangeException(nameof(temperature), temperature, $"The temperature must be a positive finite number; found {temperature}.");
        LossChecks.FeaturesAndLabels(features, labels, nameof(features), nameof(labels));

        using var scope = NewDisposeScope();
        // Every number passed to libtorch is a Scalar kept alive until the return (see KeptScalars); integers stay Int64
        // Scalars, as the implicit conversions made them, so the results are unchanged.
        using var s = new KeptScalars();
        Scalar zero = s.Of(0L);
        long m = features.shape[0];
        var z = F.normalize(features, p: 2, dim: 1);
        var self = eye(m, dtype: ScalarType.Bool, device: z.device);
        var logits = z.matmul(z.t()).div(s.Of(temperature)).masked_fill(self, s.Of(MaskedLogit));   // [M, M]
        var logProb = F.log_softmax(logits, 1);
        var positive = labels.unsqueeze(1).eq(labels.unsqueeze(0)).logical_and(self.logical_not());
        var count = positive.sum(1, type: ScalarType.Int64);                                 // |P(i)|
        var hasPositive = count.gt(zero);
        anchorsWithPositives = hasPositive.sum().item<long>();
        if (anchorsWithPositives == 0)
            return features.sum().mul(zero).MoveToOuterDisposeScope();

        // masked_fill, not a product: the masked diagonal holds about −1e9/τ and must not leak into the sum.
        var perAnchor = -logProb.masked_fill(positive.logical_not(), zero).sum(1) / count.clamp_min(s.Of(1L)).to_type(logProb.dtype);
        return perAnchor.masked_select(hasPositive).mean().MoveToOuterDisposeScope();
    }
}
