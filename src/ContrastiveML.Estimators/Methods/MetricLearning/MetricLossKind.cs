namespace ContrastiveML;

/// <summary>The loss <see cref="MetricLearningEstimator"/> trains with.</summary>
public enum MetricLossKind
{
    /// <summary>
    /// The triplet margin loss max(0, d(a, p) − d(a, n) + m) over mined triplets (Schroff, Kalenichenko, Philbin,
    /// "FaceNet", CVPR 2015); see <see cref="Losses.TripletMarginLoss"/>.
    /// </summary>
    Triplet,

    /// <summary>
    /// The contrastive pair loss: max(0, d − m₊) for positive pairs, max(0, m₋ − d) for negative pairs (Hadsell, Chopra,
    /// LeCun, "Dimensionality Reduction by Learning an Invariant Mapping", CVPR 2006); see <see cref="Losses.ContrastivePairLoss"/>.
    /// </summary>
    Contrastive,
}
