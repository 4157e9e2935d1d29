using ContrastiveML.Training;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace ContrastiveML.Losses;

/// <summary>Which pairs a pair loss uses.</summary>
public enum PairMining
{
    /// <summary>Every ordered pair (i, j), i ≠ j: positive if the labels match, negative otherwise.</summary>
    All,
    /// <summary>
    /// Per anchor, its farthest positive and its nearest negative ("batch hard", Hermans, Beyer and Leibe,
    /// "In Defense of the Triplet Loss for Person Re-Identification", 2017); an anchor without positives or
    /// negatives contributes none of that kind.
    /// </summary>
    Hard,
}

/// <summary>
/// The contrastive pair loss of Hadsell, Chopra and LeCun, "Dimensionality Reduction by Learning an Invariant Mapping",
/// CVPR 2006, in the form of pytorch-metric-learning's ContrastiveLoss (hinge terms, not squared).
/// </summary>
/// <remarks>
/// With distance d, positive margin m₊ and negative margin m₋:
/// <code>
/// ℓ₊(i, j) = max(0, d(i, j) − m₊)   for same-label pairs
/// ℓ₋(i, j) = max(0, m₋ − d(i, j))   for different-label pairs
/// L = mean of the non-zero ℓ₊  +  mean of the non-zero ℓ₋
/// </code>
/// (pytorch-metric-learning's AvgNonZeroReducer applied to each kind, then summed; a kind with no non-zero term
/// contributes 0). Hadsell et al. square both hinges; this follows pytorch-metric-learning instead, whose defaults
/// m₊ = 0 and m₋ = 1 are kept. With no active pair the loss is 0 · Σ embeddings (zero, still connected to the graph).
/// Euclidean distances are floored as in <see cref="TripletMarginLoss"/>, so identical embeddings give finite gradients.
/// </remarks>
public static class ContrastivePairLoss
{
    /// <summary>Computes the contrastive pair loss of a batch.</summary>
    /// <param name="embeddings">[N, D] embeddings.</param>
    /// <param name="labels">[N] int64 class labels.</param>
    /// <param name="positiveMargin">m₊ ≥ 0: same-label pairs closer than this cost nothing.</param>
    /// <param name="negativeMargin">m₋ ≥ 0: different-label pairs farther than this cost nothing.</param>
    /// <param name="distance">The distance d.</param>
    /// <param name="mining">Which pairs enter the loss; see <see cref="PairMining"/>.</param>
    /// <returns>The loss, the number of mined pairs (both kinds) and the number of active (non-zero) ones.</returns>
    /// <exception cref="ArgumentOutOfRangeException">A margin is negative or not finite, or an enum value is unknown.</exception>
    /// <exception cref="ArgumentException">The embeddings are not [N, D] or the labels not an int64 [N] on the same device.</exception>
    public static MinedLoss Compute(Tensor embeddings, Tensor labels, double positiveMargin = 0, double negativeMargin = 1, DistanceKind distance = DistanceKind.Euclidean, PairMining mining = PairMining.All)
    {
        ArgumentNullException.ThrowIfNull(embeddings);
        ArgumentNullException.ThrowIfNull(labels);
        LossChecks.NonNegativeMargin(positiveMargin, nameof(positiveMargin), "The positive margin");
        LossChecks.NonNegativeMargin(negativeMargin, nameof(negativeMargin), "The negative margin");
        LossChecks.Defined(mining, nameof(mining), "mining");
        LossChecks.Defined(distance, nameof(distance), "distance");
        LossChecks.FeaturesAndLabels(embeddings, labels, nameof(embeddings), nameof(labels));

        using var scope = NewDisposeScope();
        // Every number passed to libtorch is a Scalar kept alive until the return (see KeptScalars); integers stay Int64
        // Scalars, as the implicit conversions made them, so the results are unchanged.
        using var s = new KeptScalars();
        Scalar zero = s.Of(0L);
        long n = embeddings.shape[0];
        var d = Distances.Matrix(embeddings, distance);
        var same = labels.unsqueeze(1).eq(labels.unsqueeze(0));
        var positive = same.logical_and(eye(n, dtype: ScalarType.Bool, device: d.device).logical_not());
        var negative = same.logical_not();
        if (mining == PairMining.Hard)
        {
            var detached = d.detach();
            var columns = s.Arange(0, n, 1, ScalarType.Int64, d.device).unsqueeze(0);
            var farthest = detached.masked_fill(positive.logical_not(), s.Of(double.NegativeInfinity)).argmax(1).unsqueeze(1);
            var nearest = detached.masked_fill(negative.logical_not(), s.Of(double.PositiveInfinity)).argmin(1).unsqueeze(1);
            positive = columns.eq(farthest).logical_and(positive.any(1, keepdim: true));
            negative = columns.eq(nearest).logical_and(negative.any(1, keepdim: true));
        }

        var posLoss = F.relu(d.sub(s.Of(positiveMargin)));
        var negLoss = F.relu(d.neg().add(s.Of(negativeMargin), KeptScalars.One));   // m₋ − d, as TorchSharp's `m - d` computes it
        var posActive = positive.logical_and(posLoss.detach().gt(zero));
        var negActive = negative.logical_and(negLoss.detach().gt(zero));
        long nPos = posActive.sum().item<long>(), nNeg = negActive.sum().item<long>();
        long selected = positive.sum().item<long>() + negative.sum().item<long>();

        var loss = embeddings.sum().mul(zero);
        if (nPos > 0) loss = loss.Plus(posLoss.masked_fill(posActive.logical_not(), zero).sum().div(s.Of(nPos)));
        if (nNeg > 0) loss = loss.Plus(negLoss.masked_fill(negActive.logical_not(), zero).sum().div(s.Of(nNeg)));
        return new MinedLoss(loss.MoveToOuterDisposeScope(), selected, nPos + nNeg);
    }
}
