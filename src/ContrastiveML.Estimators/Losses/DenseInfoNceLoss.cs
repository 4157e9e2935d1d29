using ContrastiveML.Training;
using static TorchSharp.torch;

namespace ContrastiveML.Losses;

/// <summary>
/// DenseCL's dense contrastive loss (Wang, Zhang, Shen, Kong and Li, "Dense Contrastive Learning for Self-Supervised
/// Visual Pre-Training", CVPR 2021, eq. 2): InfoNCE at every cell of an S x S grid, the positive key of a query cell
/// being the key view's cell that <see cref="DenseCorrespondence"/> matched to it, the negatives a queue of earlier keys.
/// </summary>
/// <remarks>
/// With r_{n,s} the dense projection of query cell s of image n, t⁺_{n,s} the key view's projection at the matched cell
/// match(n, s), and t⁻_1..t⁻_K the queued negatives, all L2-normalised:
/// <code>
/// ℓ_{n,s} = −log( exp(r_{n,s}·t⁺_{n,s} / τ) / ( exp(r_{n,s}·t⁺_{n,s} / τ) + Σ_{j=1..K} exp(r_{n,s}·t⁻_j / τ) ) )
/// L_dense = (1 / (N S²)) Σ_n Σ_s ℓ_{n,s}
/// </code>
/// That is <see cref="InfoNceLoss"/> over the N·S² cells as queries. In the authors' code the dense queue holds, per
/// image, the key view's dense projections averaged over the grid (then normalised), one entry per image, not per cell.
/// DenseCL trains on (1 − λ) L_global + λ L_dense with λ = 0.5. Gradients flow to whatever inputs require them; the
/// key grid and the queue come from the momentum encoder and carry none in DenseCL.
/// </remarks>
public static class DenseInfoNceLoss
{
    /// <summary>Computes the mean dense InfoNCE loss over the N·S² query cells; a scalar tensor on the inputs' device.</summary>
    /// <param name="queryGrid">Dense projections of the query views, [N, D, S, S] (any h x w grid works alike).</param>
    /// <param name="keyGrid">Dense projections of the key views, the same shape.</param>
    /// <param name="matches">[N, S²] int64: for each query cell (row-major), the row-major index of its positive key cell
    /// (<see cref="DenseCorrespondence.Match"/>).</param>
    /// <param name="queue">Negative keys, [K, D] with K ≥ 1.</param>
    /// <param name="temperature">τ &gt; 0; DenseCL uses 0.2 (MoCo v2's).</param>
    /// <exception cref="ArgumentOutOfRangeException">The temperature is not a positive finite number.</exception>
    /// <exception cref="ArgumentException">The shapes, dtypes or devices do not fit together, or a match is not a cell index.</exception>
    public static Tensor Compute(Tensor queryGrid, Tensor keyGrid, Tensor matches, Tensor queue, double temperature = 0.2)
    {
        ArgumentNullException.ThrowIfNull(queryGrid);
        ArgumentNullException.ThrowIfNull(keyGrid);
        ArgumentNullException.ThrowIfNull(matches);
        ArgumentNullException.ThrowIfNull(queue);
        if (queryGrid.dim() != 4 || queryGrid.shape.Any(d => d < 1) || !queryGrid.is_floating_point())
            throw new ArgumentException($"Expected floating-point [N, D, S, S] query projections; got {queryGrid.dtype} [{string.Join(", ", queryGrid.shape)}].", nameof(queryGrid));
        if (!keyGrid.shape.SequenceEqual(queryGrid.shape) || !keyGrid.is_floating_point())
            throw new ArgumentException($"Expected floating-point key projections shaped like the queries [{string.Join(", ", queryGrid.shape)}]; got {keyGrid.dtype} [{string.Join(", ", keyGrid.shape)}].", nameof(keyGrid));
        long n = queryGrid.shape[0], d = queryGrid.shape[1], cells = queryGrid.shape[2] * queryGrid.shape[3];
        if (matches.dim() != 2 || matches.shape[0] != n || matches.shape[1] != cells || matches.dtype != ScalarType.Int64)
            throw new ArgumentException($"Expected int64 matches of shape [{n}, {cells}] (one key cell per query cell); got {matches.dtype} [{string.Join(", ", matches.shape)}].", nameof(matches));
        foreach (var (other, name) in new[] { (keyGrid, nameof(keyGrid)), (matches, nameof(matches)) })
            if (other.device_type != queryGrid.device_type || other.device_index != queryGrid.device_index)
                throw new ArgumentException($"The {name} ({other.device}) is not on the query projections' device ({queryGrid.device}).", name);
        using (NewDisposeScope())
        using (var s = new KeptScalars())   // the bounds as Scalars kept alive through the comparisons (see KeptScalars)
        {
            if (matches.lt(s.Of(0L)).any().item<bool>() || matches.ge(s.Of(cells)).any().item<bool>())
                throw new ArgumentException($"Every match must be a cell index in [0, {cells}); found values from {matches.min().item<long>()} to {matches.max().item<long>()}.", nameof(matches));
        }

        using var scope = NewDisposeScope();
        var queries = queryGrid.flatten(2);                                                     // [N, D, P]
        var positives = keyGrid.flatten(2).gather(2, matches.unsqueeze(1).expand(n, d, cells)); // [N, D, P]: key cell match(n, s) at s
        // One row per (image, cell): the cells are InfoNCE's queries.
        var queryRows = queries.transpose(1, 2).reshape(n * cells, d);
        var positiveRows = positives.transpose(1, 2).reshape(n * cells, d);
        // InfoNceLoss checks the queue's shape, dtype and device against the rows.
        return InfoNceLoss.Compute(queryRows, positiveRows, queue, temperature).MoveToOuterDisposeScope();
    }
}
