using ContrastiveML.Training;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace ContrastiveML.Losses;

/// <summary>The distance a metric-learning loss measures between embeddings.</summary>
public enum DistanceKind
{
    /// <summary>d(u, v) = ‖u − v‖₂, computed as √max(‖u‖² + ‖v‖² − 2uᵀv, 1e-12) (see <see cref="TripletMarginLoss"/>).</summary>
    Euclidean,
    /// <summary>d(u, v) = 1 − uᵀv / (‖u‖‖v‖), in [0, 2]; smaller is closer, so the margins keep their meaning.</summary>
    Cosine,
}

/// <summary>Pairwise distance matrices for the metric-learning losses.</summary>
internal static class Distances
{
    /// <summary>Floor under the squared Euclidean distance: keeps √ and its gradient finite for identical rows.</summary>
    internal const double SquaredFloor = 1e-12;

    /// <summary>The [N, N] matrix of distances between the rows of <paramref name="x"/> ([N, D]), differentiable.</summary>
    internal static Tensor Matrix(Tensor x, DistanceKind kind)
    {
        // Every number passed to libtorch is a Scalar kept alive until the return (see KeptScalars); integers stay Int64
        // Scalars, as the implicit conversions made them, so the results are unchanged.
        using var s = new KeptScalars();
        switch (kind)
        {
            case DistanceKind.Euclidean:
                var squaredNorms = x.pow(s.Of(2L)).sum(1);
                var squared = squaredNorms.unsqueeze(1).Plus(squaredNorms.unsqueeze(0)) - x.matmul(x.t()).mul(s.Of(2L));
                // The expansion can go slightly negative by rounding, and √ has an infinite derivative at 0 (0·∞ = NaN
                // in backward for identical rows); the clamp removes both, its gradient being 0 below the floor.
                return squared.clamp_min(s.Of(SquaredFloor)).sqrt();
            case DistanceKind.Cosine:
                var z = F.normalize(x, p: 2, dim: 1);
                // 1 − zzᵀ, computed as TorchSharp's `1 - t` does it: −t + 1.
                return z.matmul(z.t()).neg().add(s.Of(1L), KeptScalars.One);
            default:
                throw new ArgumentOutOfRangeException(nameof(kind), kind, $"Unknown distance kind {kind}.");
        }
    }
}
