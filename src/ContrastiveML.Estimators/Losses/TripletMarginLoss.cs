using ContrastiveML.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace ContrastiveML.Losses;

/// <summary>Which triplets (anchor a, positive p with a's label, negative n with another label) a triplet loss uses.</summary>
/// <remarks>With distances d and margin m (Schroff, Kalenichenko and Philbin, "FaceNet", CVPR 2015, section 3.2).</remarks>
public enum TripletMining
{
    /// <summary>Every valid triplet (a ≠ p, label(p) = label(a), label(n) ≠ label(a)).</summary>
    All,
    /// <summary>d(a, n) &lt; d(a, p): the negative is closer than the positive.</summary>
    Hard,
    /// <summary>d(a, p) &lt; d(a, n) &lt; d(a, p) + m: the negative is farther but inside the margin.</summary>
    SemiHard,
    /// <summary>d(a, n) &gt; d(a, p) + m: already satisfied; these have zero loss, so the loss is zero (useful for counting).</summary>
    Easy,
}

/// <summary>A mined loss with the counts behind it, for progress reporting.</summary>
/// <param name="Loss">The scalar loss, connected to the embeddings' graph (a graph-connected zero when nothing is active).</param>
/// <param name="Selected">How many triplets or pairs the mining selected.</param>
/// <param name="Active">How many of those had a loss &gt; 0 and entered the mean.</param>
public sealed record MinedLoss(Tensor Loss, long Selected, long Active)
{
    /// <summary><see cref="Active"/> / <see cref="Selected"/>, 0 when nothing was selected.</summary>
    public double ActiveFraction => Selected == 0 ? 0 : (double)Active / Selected;
}

/// <summary>
/// The triplet margin loss (Weinberger and Saul, JMLR 2009; Schroff et al., "FaceNet", CVPR 2015, eq. 1), mined
/// inside the batch from the [N, N] distance matrix.
/// </summary>
/// <remarks>
/// For each mined triplet (a, p, n), ℓ = max(0, d(a, p) − d(a, n) + m); the loss is the mean of ℓ over the active
/// triplets (ℓ &gt; 0), as pytorch-metric-learning's TripletMarginLoss with its AvgNonZeroReducer, so that the many
/// already-satisfied triplets do not dilute the gradient. With no active triplet the loss is 0 · Σ embeddings (zero,
/// still connected to the graph). Mining and the active test compare detached distances; the loss uses the
/// differentiable ones.
/// Memory and time: only the [N, N] distance matrix is built (never [N, N, D] nor [N, N, N, D]), and only it carries
/// a gradient. Triplets are enumerated without gradient per anchor-positive pair: the P positive pairs (a, p) are
/// taken in chunks of c with c·N ≤ 2²² elements, and each chunk compares d(a, p) ([c, 1]) with a's row of distances
/// ([c, N]); so the work is O(P·N) (O(N²) without labels, where each view has one positive), never an [N, N, N] tensor.
/// Each chunk only counts, per pair (a, p), the active triplets it heads, and per pair (a, n) those it ends. Since every
/// active ℓ is linear in d, Σ ℓ = Σ_{a,p} d(a, p)·#(a, p, ·) − Σ_{a,n} d(a, n)·#(a, ·, n) + m·active, so the
/// differentiable part is one [N, N] weighted sum and the autograd graph holds O(N²) rather than every chunk's hinge.
/// Euclidean distances are √max(‖a‖² + ‖b‖² − 2aᵀb, 1e-12): identical embeddings give a distance of about 1e-6 and a
/// finite gradient rather than NaN (√ has an infinite derivative at 0).
/// </remarks>
public static class TripletMarginLoss
{
    private const long ChunkElements = 1L << 22;

    /// <summary>Computes the mined triplet margin loss of a batch.</summary>
    /// <param name="embeddings">[N, D] embeddings (not normalised here; normalise first, or use <see cref="DistanceKind.Cosine"/>).</param>
    /// <param name="labels">[N] int64 class labels.</param>
    /// <param name="margin">m ≥ 0; FaceNet uses 0.2 on unit-length embeddings.</param>
    /// <param name="mining">Which triplets enter the loss; see <see cref="TripletMining"/>.</param>
    /// <param name="distance">The distance d.</param>
    /// <returns>The loss, the number of mined triplets and the number of active ones.</returns>
    /// <exception cref="ArgumentOutOfRangeException">The margin is negative or not finite, or an enum value is unknown.</exception>
    /// <exception cref="ArgumentException">The embeddings are not [N, D] or the labels not an int64 [N] on the same device.</exception>
    public static MinedLoss Compute(Tensor embeddings, Tensor labels, double margin = 0.2, TripletMining mining = TripletMining.All, DistanceKind distance = DistanceKind.Euclidean) =>
        Compute(embeddings, labels, margin, mining, distance, ChunkElements);

    /// <summary><see cref="Compute(Tensor, Tensor, double, TripletMining, DistanceKind)"/> with chunks of at most <paramref name="chunkElements"/> / N pairs (tests use small chunks).</summary>
    internal static MinedLoss Compute(Tensor embeddings, Tensor labels, double margin, TripletMining mining, DistanceKind distance, long chunkElements)
    {
        ArgumentNullException.ThrowIfNull(embeddings);
        ArgumentNullException.ThrowIfNull(labels);
        LossChecks.NonNegativeMargin(margin, nameof(margin), "The margin");
        LossChecks.Defined(mining, nameof(mining), "mining");
        LossChecks.Defined(distance, nameof(distance), "distance");
        LossChecks.FeaturesAndLabels(embeddings, labels, nameof(embeddings), nameof(labels));

        using var scope = NewDisposeScope();
        // Every number passed to libtorch is a Scalar kept alive until the return (see KeptScalars), those of the chunk loop
        // made once before it: an implicit Scalar (including the hidden alpha of `t + m`) can be finalised by the GC while
        // libtorch still reads it, which shows as a failed float-conversion check on a garbage value under load. Integers
        // stay Int64 Scalars, as the implicit conversions would make them, and `t + m` keeps its alpha of 1 (KeptScalars.One).
        using var s = new KeptScalars();
        Scalar marginScalar = s.Of(margin);
        Scalar zero = s.Of(0L);
        Scalar minusOne = s.Of(-1L);
        long n = embeddings.shape[0];
        Scalar rowLength = s.Of(n);
        var d = Distances.Matrix(embeddings, distance);                                     // [N, N], differentiable
        var weights = zeros(n, n, dtype: ScalarType.Float64, device: d.device);             // the count each d(a, ·) enters Σ ℓ with
        long chunk = Math.Max(1, chunkElements / n);
        long selected = 0, active = 0;
        using (no_grad())
        {
            var detached = d.detach().contiguous();
            var same = labels.unsqueeze(1).eq(labels.unsqueeze(0));
            var negative = same.logical_not();
            var pairs = same.logical_and(eye(n, dtype: ScalarType.Bool, device: d.device).logical_not()).nonzero();   // [P, 2]: (a, p)
            long pairCount = pairs.shape[0];
            for (long start = 0; start < pairCount; start += chunk)
            {
                long c = Math.Min(chunk, pairCount - start);
                using var inner = NewDisposeScope();
                var anchors = pairs.narrow(0, start, c).select(1, 0);                       // [c]
                var flat = anchors.mul(rowLength).Plus(pairs.narrow(0, start, c).select(1, 1));   // index of (a, p) in the flattened matrix
                var dap = detached.reshape(-1).index_select(0, flat).unsqueeze(1);          // [c, 1]: d(a, p)
                var dan = detached.index_select(0, anchors);                                // [c, N]: d(a, n) for every n
                var valid = negative.index_select(0, anchors);
                var mined = mining switch
                {
                    TripletMining.All => valid,
                    TripletMining.Hard => valid.logical_and(dan.lt(dap)),
                    TripletMining.SemiHard => valid.logical_and(dan.gt(dap)).logical_and(dan.lt(dap.add(marginScalar, KeptScalars.One))),
                    _ => valid.logical_and(dan.gt(dap.add(marginScalar, KeptScalars.One))),
                };
                var isActive = mined.logical_and((dap - dan).add(marginScalar, KeptScalars.One).gt(zero));   // ℓ > 0
                selected += mined.sum().item<long>();
                long chunkActive = isActive.sum().item<long>();
                if (chunkActive == 0)
                    continue;
                active += chunkActive;
                var counts = isActive.to(ScalarType.Float64);                               // [c, N]
                // +#(a, p, ·) for the positive distance, −#(a, ·, n) for the negative ones (a pair can be both across triplets).
                weights.view(-1).index_add_(0, flat, counts.sum(1), KeptScalars.One);
                weights.index_add_(0, anchors, counts, minusOne);
            }
        }
        // Summed in float64: with many active triplets the positive and negative parts are large and nearly cancel.
        var result = active == 0
            ? embeddings.sum().mul(zero)
            : (d.to(ScalarType.Float64) * weights).sum().add(s.Of(margin * active), KeptScalars.One).div(s.Of(active)).to(d.dtype);
        return new MinedLoss(result.MoveToOuterDisposeScope(), selected, active);
    }
}
