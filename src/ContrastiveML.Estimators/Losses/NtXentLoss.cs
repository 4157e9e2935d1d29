using ContrastiveML.Training;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace ContrastiveML.Losses;

/// <summary>
/// NT-Xent, the normalised temperature-scaled cross-entropy loss of SimCLR (Chen, Kornblith, Norouzi and Hinton,
/// "A Simple Framework for Contrastive Learning of Visual Representations", ICML 2020, eq. 1 and Algorithm 1).
/// </summary>
/// <remarks>
/// The 2N projections z_1..z_2N of N images (two views each) are L2-normalised, so sim(u, v) = uᵀv / (‖u‖‖v‖).
/// For an anchor i whose other view is j:
/// <code>
/// ℓ(i, j) = −log( exp(sim(z_i, z_j) / τ) / Σ_{k ≠ i} exp(sim(z_i, z_k) / τ) )
/// L = (1 / 2N) Σ_i ℓ(i, positive(i))
/// </code>
/// the denominator running over the 2N − 1 samples other than the anchor (its positive and 2N − 2 negatives).
/// It is computed as a cross-entropy over the rows of the [2N, 2N] similarity matrix with the diagonal
/// (self-similarity) replaced by a large negative number, so that log-sum-exp keeps it stable for small τ.
/// The lower bound is reached when every positive pair coincides and the negatives are far apart:
/// with cosine similarities of 1 to the positive and s to all negatives, ℓ = log(1 + (2N − 2)·exp((s − 1)/τ)).
/// </remarks>
public static class NtXentLoss
{
    // Replaces the self-similarity logits: exp of it is 0 in float32/float64, and unlike −∞ it cannot produce
    // NaN (−∞ − (−∞)) in the log-sum-exp of a row.
    private const double MaskedLogit = -1e9;

    /// <summary>
    /// Computes the mean NT-Xent loss over the 2N anchors; a scalar tensor on the inputs' device that carries
    /// gradients back to <paramref name="z1"/> and <paramref name="z2"/>.
    /// </summary>
    /// <param name="z1">Projections of the first views, [N, D]; row n pairs with row n of <paramref name="z2"/>.</param>
    /// <param name="z2">Projections of the second views, [N, D].</param>
    /// <param name="temperature">τ &gt; 0; SimCLR uses 0.1 to 0.5 (0.5 in its CIFAR-10 runs).</param>
    /// <exception cref="ArgumentOutOfRangeException">The temperature is not a positive finite number.</exception>
    /// <exception cref="ArgumentException">The inputs are not two [N, D] tensors of the same shape and device with N ≥ 1.</exception>
    public static Tensor Compute(Tensor z1, Tensor z2, double temperature)
    {
        ArgumentNullException.ThrowIfNull(z1);
        ArgumentNullException.ThrowIfNull(z2);
        if (!(temperature > 0 && double.IsFinite(temperature)))
            throw new ArgumentOutOfRangeException(nameof(temperature), temperature, $"The temperature must be a positive finite number; found {temperature}.");
        if (z1.dim() != 2 || z2.dim() != 2)
            throw new ArgumentException($"Expected two [N, D] projections; got [{string.Join(", ", z1.shape)}] and [{string.Join(", ", z2.shape)}].", nameof(z1));
        if (z1.shape[0] != z2.shape[0] || z1.shape[1] != z2.shape[1])
            throw new ArgumentException($"The two views' projections must have the same shape; got [{string.Join(", ", z1.shape)}] and [{string.Join(", ", z2.shape)}].", nameof(z2));
        if (z1.shape[0] < 1 || z1.shape[1] < 1)
            throw new ArgumentException("The projections must hold at least one row and one column.", nameof(z1));
        // Device has no value equality: compare its type and index.
        if (z1.device_type != z2.device_type || z1.device_index != z2.device_index)
            throw new ArgumentException($"The two views' projections are on different devices ({z1.device} and {z2.device}).", nameof(z2));

        // Only the returned loss outlives this call; the similarity matrix etc. are freed here (autograd holds
        // its own references to what backward needs).
        using var scope = NewDisposeScope();
        // Every number passed to libtorch is a Scalar kept alive until the return (see KeptScalars).
        using var s = new KeptScalars();
        long n = z1.shape[0];
        var z = F.normalize(cat(new[] { z1, z2 }, 0), p: 2, dim: 1);                   // [2N, D]
        var self = eye(2 * n, dtype: ScalarType.Bool, device: z.device);
        var logits = z.matmul(z.t()).div(s.Of(temperature)).masked_fill(self, s.Of(MaskedLogit));   // [2N, 2N]
        // Row i < N pairs with i + N, row i ≥ N with i − N.
        var positives = cat(new[]
        {
            s.Arange(n, 2 * n, 1, ScalarType.Int64, z.device),
            s.Arange(0, n, 1, ScalarType.Int64, z.device),
        }, 0);
        return F.cross_entropy(logits, positives).MoveToOuterDisposeScope();
    }
}
