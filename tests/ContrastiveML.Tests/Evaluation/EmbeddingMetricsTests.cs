using ContrastiveML.Evaluation;
using static TorchSharp.torch;

namespace ContrastiveML.Tests;

/// <summary>kNN accuracy, alignment, uniformity, effective rank and the ridge probe against values worked out by hand on tiny inputs.</summary>
public class EmbeddingMetricsTests
{
    private static Tensor Rows(params float[][] rows) =>
        tensor(rows.SelectMany(r => r).ToArray(), new long[] { rows.Length, rows[0].Length });

    [Fact]
    public void Knn_uses_cosine_similarity_not_distance()
    {
        // Query (10, 1) is far from (1, 0) in distance but points the same way; (5, 5) is nearer in distance.
        using Tensor bank = Rows(new[] { 1f, 0f }, new[] { 5f, 5f });
        using Tensor query = Rows(new[] { 10f, 1f });
        Assert.Equal(1.0, EmbeddingMetrics.KnnAccuracy(bank, new long[] { 0, 1 }, query, new long[] { 0 }, k: 1));
        Assert.Equal(0.0, EmbeddingMetrics.KnnAccuracy(bank, new long[] { 0, 1 }, query, new long[] { 1 }, k: 1));
    }

    [Fact]
    public void Knn_majority_vote_and_ties_go_to_the_nearest_class()
    {
        // Bank directions at angles 0, 10, 20, 90 degrees; query at 0 degrees: neighbours in order 0, 10, 20, 90 degrees.
        float[] At(double degrees) => new[] { (float)Math.Cos(degrees * Math.PI / 180), (float)Math.Sin(degrees * Math.PI / 180) };
        using Tensor bank = Rows(At(0), At(10), At(20), At(90));
        using Tensor query = Rows(At(0));
        long[] labels = { 1, 2, 2, 1 };
        // k = 3: votes class 1 once, class 2 twice -> 2.
        Assert.Equal(1.0, EmbeddingMetrics.KnnAccuracy(bank, labels, query, new long[] { 2 }, k: 3));
        // k = 2: one vote each; the tie goes to class 1, whose member is nearest.
        Assert.Equal(1.0, EmbeddingMetrics.KnnAccuracy(bank, labels, query, new long[] { 1 }, k: 2));
        // k = 4: two votes each; tie again to class 1.
        Assert.Equal(1.0, EmbeddingMetrics.KnnAccuracy(bank, labels, query, new long[] { 1 }, k: 4));
        // k larger than the bank is reduced to the bank.
        Assert.Equal(1.0, EmbeddingMetrics.KnnAccuracy(bank, labels, query, new long[] { 1 }, k: 50));
    }

    [Fact]
    public void Knn_leave_one_out_skips_the_query_itself()
    {
        // Two tight pairs; each point's nearest other point is its pair partner.
        using Tensor points = Rows(new[] { 1f, 0f }, new[] { 1f, 0.1f }, new[] { 0f, 1f }, new[] { 0.1f, 1f });
        // Labels that disagree with the partners: leave-one-out 1-NN gets every row wrong (keeping itself would get all right).
        Assert.Equal(0.0, EmbeddingMetrics.KnnAccuracy(points, new long[] { 0, 1, 0, 1 }, points, new long[] { 0, 1, 0, 1 }, k: 1, leaveOneOut: true));
        Assert.Equal(1.0, EmbeddingMetrics.KnnAccuracy(points, new long[] { 0, 0, 1, 1 }, points, new long[] { 0, 0, 1, 1 }, k: 1, leaveOneOut: true));
        // 3 of 4 rows right: row 3's partner carries a different label.
        Assert.Equal(0.5, EmbeddingMetrics.KnnAccuracy(points, new long[] { 0, 0, 1, 2 }, points, new long[] { 0, 0, 1, 2 }, k: 1, leaveOneOut: true));
    }

    [Fact]
    public void Knn_rejects_mismatched_labels()
    {
        using Tensor bank = Rows(new[] { 1f, 0f }, new[] { 0f, 1f });
        var error = Assert.Throws<ArgumentException>(() => EmbeddingMetrics.KnnAccuracy(bank, new long[] { 0 }, bank, new long[] { 0, 1 }, k: 1));
        Assert.Contains("2 rows but 1 labels", error.Message);
    }

    [Fact]
    public void Alignment_is_the_mean_squared_distance_of_normalised_pairs()
    {
        // Pair 1 identical directions (distance 0); pair 2 orthogonal unit vectors (squared distance 2): mean 1.
        using Tensor first = Rows(new[] { 3f, 0f }, new[] { 0f, 2f });
        using Tensor second = Rows(new[] { 1f, 0f }, new[] { 5f, 0f });
        Assert.Equal(1.0, EmbeddingMetrics.Alignment(first, second), 6);
    }

    [Fact]
    public void Uniformity_is_log_mean_gaussian_potential()
    {
        // (1,0), (0,1), (-1,0): squared distances 2, 4, 2 -> log((e^-4 + e^-8 + e^-4) / 3).
        using Tensor z = Rows(new[] { 1f, 0f }, new[] { 0f, 3f }, new[] { -2f, 0f });
        double expected = Math.Log((2 * Math.Exp(-4) + Math.Exp(-8)) / 3);
        Assert.Equal(expected, EmbeddingMetrics.Uniformity(z), 6);
        // Every embedding the same direction: collapse, uniformity 0.
        using Tensor same = Rows(new[] { 1f, 1f }, new[] { 2f, 2f }, new[] { 3f, 3f });
        Assert.Equal(0.0, EmbeddingMetrics.Uniformity(same), 6);
    }

    [Fact]
    public void Effective_rank_is_the_exponential_entropy_of_singular_values()
    {
        // Centred already; singular values are the column norms sqrt(2) and sqrt(8): p = 1/3, 2/3.
        using Tensor z = Rows(new[] { 1f, 0f }, new[] { -1f, 0f }, new[] { 0f, 2f }, new[] { 0f, -2f });
        double expected = Math.Exp(-(1.0 / 3 * Math.Log(1.0 / 3) + 2.0 / 3 * Math.Log(2.0 / 3)));
        Assert.Equal(expected, EmbeddingMetrics.EffectiveRank(z), 6);
        // Points on one line (after centring): rank 1.
        using Tensor line = Rows(new[] { 1f, 2f }, new[] { 2f, 4f }, new[] { 3f, 6f });
        Assert.Equal(1.0, EmbeddingMetrics.EffectiveRank(line), 6);
        // One point repeated: no direction at all.
        using Tensor point = Rows(new[] { 5f, 1f }, new[] { 5f, 1f });
        Assert.Equal(0.0, EmbeddingMetrics.EffectiveRank(point), 6);
    }

    [Fact]
    public void Ridge_probe_separates_a_line_and_needs_two_rows()
    {
        // One feature; classes split at 1.5: least squares on one-hot targets with a bias puts the boundary at the mean.
        using Tensor train = Rows(new[] { 0f }, new[] { 1f }, new[] { 2f }, new[] { 3f });
        using Tensor test = Rows(new[] { -1f }, new[] { 1.2f }, new[] { 1.8f }, new[] { 5f });
        Assert.Equal(1.0, RidgeClassifier.Accuracy(train, new long[] { 0, 0, 1, 1 }, test, new long[] { 0, 0, 1, 1 }, penaltyPerRow: 1e-6));
        Assert.Equal(0.5, RidgeClassifier.Accuracy(train, new long[] { 0, 0, 1, 1 }, test, new long[] { 0, 1, 0, 1 }, penaltyPerRow: 1e-6));
        using Tensor one = Rows(new[] { 0f });
        Assert.Throws<ArgumentException>(() => RidgeClassifier.Accuracy(one, new long[] { 0 }, test, new long[] { 0, 0, 1, 1 }));
    }
}
