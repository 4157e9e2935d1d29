using ContrastiveML.Training;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace ContrastiveML.Losses;

/// <summary>
/// The InfoNCE loss of MoCo (He, Fan, Wu, Xie and Girshick, "Momentum Contrast for Unsupervised Visual Representation
/// Learning", CVPR 2020, eq. 1 and Algorithm 1; kept in MoCo v2, Chen, Fan, Girshick and He, 2020), with the negatives
/// taken from a queue of earlier keys.
/// </summary>
/// <remarks>
/// Queries q_i, keys k_i (the same image's other view through the momentum encoder) and queued keys n_1..n_K are
/// L2-normalised here (a no-op for MoCo's already-normalised outputs), then
/// <code>
/// ℓ_i = −log( exp(q_i·k_i / τ) / ( exp(q_i·k_i / τ) + Σ_{j=1..K} exp(q_i·n_j / τ) ) )
/// L = (1 / N) Σ_i ℓ_i
/// </code>
/// computed as a cross-entropy with target 0 over the logits [q_i·k_i, q_i·n_1, …, q_i·n_K] / τ (log-sum-exp, stable for
/// small τ). Gradients flow to whatever inputs require them; MoCo computes <c>key</c> without gradients (momentum encoder)
/// and the queue is a plain buffer, so the caller detaches them — this method does not.
/// </remarks>
public static class InfoNceLoss
{
    /// <summary>Computes the mean InfoNCE loss over the N queries; a scalar tensor on the inputs' device.</summary>
    /// <param name="query">Query projections, [N, D].</param>
    /// <param name="key">Positive keys, [N, D]; row i is query i's positive.</param>
    /// <param name="queue">Negative keys, [K, D] with K ≥ 1 (MoCo uses K = 65536).</param>
    /// <param name="temperature">τ &gt; 0; MoCo v1 and v2 use 0.07 and 0.2.</param>
    /// <exception cref="ArgumentOutOfRangeException">The temperature is not a positive finite number.</exception>
    /// <exception cref="ArgumentException">The shapes do not match [N, D], [N, D], [K, D] with N, D, K ≥ 1, the dtypes
    /// are not floating point, or the tensors are on different devices.</exception>
    public static Tensor Compute(Tensor query, Tensor key, Tensor queue, double temperature = 0.2)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(queue);
        if (!(temperature > 0 && double.IsFinite(temperature)))
            throw new ArgumentOutOfRangeException(nameof(temperature), temperature, $"The temperature must be a positive finite number; found {temperature}.");
        if (query.dim() != 2 || query.shape[0] < 1 || query.shape[1] < 1 || !query.is_floating_point())
            throw new ArgumentException($"Expected floating-point [N, D] queries with N, D ≥ 1; got {query.dtype} [{string.Join(", ", query.shape)}].", nameof(query));
        if (key.dim() != 2 || key.shape[0] != query.shape[0] || key.shape[1] != query.shape[1] || !key.is_floating_point())
            throw new ArgumentException($"Expected floating-point keys shaped like the queries [{string.Join(", ", query.shape)}]; got {key.dtype} [{string.Join(", ", key.shape)}].", nameof(key));
        if (queue.dim() != 2 || queue.shape[0] < 1 || queue.shape[1] != query.shape[1] || !queue.is_floating_point())
            throw new ArgumentException($"Expected a floating-point [K, {query.shape[1]}] queue with K ≥ 1; got {queue.dtype} [{string.Join(", ", queue.shape)}].", nameof(queue));
        foreach (var (other, name) in new[] { (key, nameof(key)), (queue, nameof(queue)) })
            if (other.device_type != query.device_type || other.device_index != query.device_index)
                throw new ArgumentException($"The {name} ({other.device}) is not on the queries' device ({query.device}).", name);

        using var scope = NewDisposeScope();
        using var s = new KeptScalars();   // τ as a Scalar kept alive through the division (see KeptScalars)
        var q = F.normalize(query, p: 2, dim: 1);
        var k = F.normalize(key, p: 2, dim: 1);
        var n = F.normalize(queue, p: 2, dim: 1);
        var positive = (q * k).sum(1, keepdim: true);                                      // [N, 1]
        var negatives = q.matmul(n.t());                                                    // [N, K]
        var logits = cat(new[] { positive, negatives }, 1).div(s.Of(temperature));
        var target = zeros(query.shape[0], dtype: ScalarType.Int64, device: query.device);
        return F.cross_entropy(logits, target).MoveToOuterDisposeScope();
    }
}
