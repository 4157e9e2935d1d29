using ContrastiveML.Losses;
using static TorchSharp.torch;

namespace ContrastiveML.Tests;

/// <summary>TripletMarginLoss and ContrastivePairLoss against brute-force enumerations in plain doubles.</summary>
public class MetricLossTests
{
    private static double Distance(double[] u, double[] v, DistanceKind kind)
    {
        if (kind == DistanceKind.Euclidean)
            return Math.Sqrt(u.Zip(v, (a, b) => (a - b) * (a - b)).Sum());
        double dot = u.Zip(v, (a, b) => a * b).Sum();
        return 1 - dot / Math.Sqrt(u.Sum(a => a * a) * v.Sum(b => b * b));
    }

    /// <summary>Every triplet (a, p, n) checked one by one: mined per the documented rules, mean over ℓ &gt; 0.</summary>
    private static (double Loss, long Selected, long Active) TripletReference(double[][] x, long[] y, double m, TripletMining mining, DistanceKind kind)
    {
        var dist = new double[x.Length, x.Length];
        for (int i = 0; i < x.Length; i++)
            for (int j = 0; j < x.Length; j++)
                dist[i, j] = Distance(x[i], x[j], kind);
        double total = 0;
        long selected = 0, active = 0;
        for (int a = 0; a < x.Length; a++)
            for (int p = 0; p < x.Length; p++)
                for (int n = 0; n < x.Length; n++)
                {
                    if (p == a || y[p] != y[a] || y[n] == y[a]) continue;
                    double ap = dist[a, p], an = dist[a, n];
                    bool take = mining switch
                    {
                        TripletMining.All => true,
                        TripletMining.Hard => an < ap,
                        TripletMining.SemiHard => ap < an && an < ap + m,
                        _ => an > ap + m,
                    };
                    if (!take) continue;
                    selected++;
                    double loss = Math.Max(0, ap - an + m);
                    if (loss > 0) { total += loss; active++; }
                }
        return (active == 0 ? 0 : total / active, selected, active);
    }

    private static (double Loss, long Selected, long Active) PairReference(double[][] x, long[] y, double pm, double nm, PairMining mining, DistanceKind kind)
    {
        double posSum = 0, negSum = 0;
        long selected = 0, posActive = 0, negActive = 0;
        for (int i = 0; i < x.Length; i++)
        {
            var others = Enumerable.Range(0, x.Length).Where(j => j != i).ToArray();
            var pos = others.Where(j => y[j] == y[i]).ToArray();
            var neg = others.Where(j => y[j] != y[i]).ToArray();
            if (mining == PairMining.Hard)
            {
                pos = pos.Length == 0 ? pos : new[] { pos.OrderByDescending(j => Distance(x[i], x[j], kind)).First() };
                neg = neg.Length == 0 ? neg : new[] { neg.OrderBy(j => Distance(x[i], x[j], kind)).First() };
            }
            selected += pos.Length + neg.Length;
            foreach (var j in pos)
            {
                double l = Math.Max(0, Distance(x[i], x[j], kind) - pm);
                if (l > 0) { posSum += l; posActive++; }
            }
            foreach (var j in neg)
            {
                double l = Math.Max(0, nm - Distance(x[i], x[j], kind));
                if (l > 0) { negSum += l; negActive++; }
            }
        }
        double loss = (posActive == 0 ? 0 : posSum / posActive) + (negActive == 0 ? 0 : negSum / negActive);
        return (loss, selected, posActive + negActive);
    }

    private static Tensor Rows(double[][] rows) =>
        tensor(rows.SelectMany(r => r).Select(v => (float)v).ToArray(), new long[] { rows.Length, rows[0].Length });

    private static double[][] RandomRows(int m, int d, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, m).Select(_ => Enumerable.Range(0, d).Select(_ => random.NextDouble() * 2 - 1).ToArray()).ToArray();
    }

    // A 3-4-5 triangle: d(0,1) = 3, d(0,2) = 4, d(1,2) = 5; points 0 and 1 share a label.
    private static readonly double[][] Triangle = { new[] { 0.0, 0.0 }, new[] { 3.0, 0.0 }, new[] { 0.0, 4.0 } };
    private static readonly long[] TriangleLabels = { 0, 0, 1 };

    [Fact]
    public void TripletTriangleByHand()
    {
        using var scope = NewDisposeScope();
        // m = 2: triplet (0,1,2) has 3 − 4 + 2 = 1, triplet (1,0,2) has 3 − 5 + 2 = 0.
        var all = TripletMarginLoss.Compute(Rows(Triangle), tensor(TriangleLabels), 2, TripletMining.All);
        Assert.Equal(1.0, all.Loss.item<float>(), 1e-5);
        Assert.Equal((2L, 1L, 0.5), (all.Selected, all.Active, all.ActiveFraction));
        // Semi-hard: 3 < 4 < 5 holds for (0,1,2); 3 < 5 < 5 does not for (1,0,2). No hard (4 < 3, 5 < 3) or easy (4 > 5, 5 > 5).
        var semi = TripletMarginLoss.Compute(Rows(Triangle), tensor(TriangleLabels), 2, TripletMining.SemiHard);
        Assert.Equal((1L, 1L), (semi.Selected, semi.Active));
        Assert.Equal(1.0, semi.Loss.item<float>(), 1e-5);
        Assert.Equal(0L, TripletMarginLoss.Compute(Rows(Triangle), tensor(TriangleLabels), 2, TripletMining.Hard).Selected);
        Assert.Equal(0L, TripletMarginLoss.Compute(Rows(Triangle), tensor(TriangleLabels), 2, TripletMining.Easy).Selected);
        // m = 3: losses 2 and 1, both active, mean 1.5.
        Assert.Equal(1.5, TripletMarginLoss.Compute(Rows(Triangle), tensor(TriangleLabels), 3).Loss.item<float>(), 1e-5);
    }

    [Theory]
    [InlineData(TripletMining.All, DistanceKind.Euclidean)]
    [InlineData(TripletMining.Hard, DistanceKind.Euclidean)]
    [InlineData(TripletMining.SemiHard, DistanceKind.Euclidean)]
    [InlineData(TripletMining.Easy, DistanceKind.Euclidean)]
    [InlineData(TripletMining.All, DistanceKind.Cosine)]
    [InlineData(TripletMining.Hard, DistanceKind.Cosine)]
    [InlineData(TripletMining.SemiHard, DistanceKind.Cosine)]
    [InlineData(TripletMining.Easy, DistanceKind.Cosine)]
    public void TripletMiningMatchesBruteForce(TripletMining mining, DistanceKind kind)
    {
        var x = RandomRows(9, 2, 21);
        long[] y = { 0, 1, 2, 0, 1, 2, 0, 1, 1 };
        const double m = 0.3;
        var (loss, selected, active) = TripletReference(x, y, m, mining, kind);
        Assert.True(selected > 0);
        using var scope = NewDisposeScope();
        var result = TripletMarginLoss.Compute(Rows(x), tensor(y), m, mining, kind);
        Assert.Equal(selected, result.Selected);
        Assert.Equal(active, result.Active);
        Assert.Equal(loss, result.Loss.item<float>(), 1e-5);
        if (mining == TripletMining.Easy) Assert.Equal(0, active);
    }

    [Fact]
    public void TripletEnumerationIsChunkedAndStillExact()
    {
        // 170 rows of 5 classes: 170 · 33 = 5,610 anchor-positive pairs, in chunks of 100 pairs (the last one of 10).
        var x = RandomRows(170, 2, 8);
        long[] y = Enumerable.Range(0, 170).Select(i => (long)(i % 5)).ToArray();
        var (loss, selected, active) = TripletReference(x, y, 0.1, TripletMining.SemiHard, DistanceKind.Euclidean);
        using var scope = NewDisposeScope();
        var result = TripletMarginLoss.Compute(Rows(x), tensor(y), 0.1, TripletMining.SemiHard, DistanceKind.Euclidean, chunkElements: 170 * 100);
        Assert.Equal(selected, result.Selected);
        Assert.Equal(active, result.Active);
        Assert.Equal(loss, result.Loss.item<float>(), 1e-4);
    }

    /// <summary>
    /// The gradient of the mean active triplet loss in plain doubles: for each active (a, p, n), ∂d(a, p)/∂x_a = (x_a − x_p)/d(a, p),
    /// ∂d(a, p)/∂x_p = −(x_a − x_p)/d(a, p), and likewise with a minus sign for d(a, n); divided by the active count.
    /// </summary>
    private static double[][] TripletGradientReference(double[][] x, long[] y, double m, TripletMining mining)
    {
        int dim = x[0].Length;
        var grad = x.Select(_ => new double[dim]).ToArray();
        var terms = new List<(int A, int B, double Sign)>();
        for (int a = 0; a < x.Length; a++)
            for (int p = 0; p < x.Length; p++)
                for (int n = 0; n < x.Length; n++)
                {
                    if (p == a || y[p] != y[a] || y[n] == y[a]) continue;
                    double ap = Distance(x[a], x[p], DistanceKind.Euclidean), an = Distance(x[a], x[n], DistanceKind.Euclidean);
                    bool take = mining == TripletMining.All || (mining == TripletMining.SemiHard && ap < an && an < ap + m);
                    if (!take || ap - an + m <= 0) continue;
                    terms.Add((a, p, 1));
                    terms.Add((a, n, -1));
                }
        int active = terms.Count / 2;
        foreach (var (a, b, sign) in terms)
        {
            double distance = Distance(x[a], x[b], DistanceKind.Euclidean);
            for (int k = 0; k < dim; k++)
            {
                double g = sign * (x[a][k] - x[b][k]) / distance / active;
                grad[a][k] += g;
                grad[b][k] -= g;
            }
        }
        return grad;
    }

    [Theory]
    [InlineData(TripletMining.All)]
    [InlineData(TripletMining.SemiHard)]
    public void TripletGradientMatchesTheHandDerivedOne(TripletMining mining)
    {
        // 170 rows of 4 classes: 170 · 42 = 7,140 anchor-positive pairs in chunks of 1,000, so the counts gathered across chunks are checked too.
        var x = RandomRows(170, 3, 5);
        long[] y = Enumerable.Range(0, 170).Select(i => (long)(i % 4)).ToArray();
        double[][] expected = TripletGradientReference(x, y, 0.2, mining);
        using var scope = NewDisposeScope();
        var input = Rows(x).requires_grad_();
        var result = TripletMarginLoss.Compute(input, tensor(y), 0.2, mining, DistanceKind.Euclidean, chunkElements: 170 * 1000);
        Assert.True(result.Active > 0);
        result.Loss.backward();
        float[] actual = input.grad!.data<float>().ToArray();
        for (int i = 0; i < x.Length; i++)
            for (int k = 0; k < 3; k++)
                Assert.Equal(expected[i][k], actual[i * 3 + k], 1e-5);
    }

    [Fact]
    public void PairTriangleByHand()
    {
        using var scope = NewDisposeScope();
        // Positives (0,1), (1,0) at 3 cost 3 each; negatives at 4 cost 4.5 − 4 = 0.5, at 5 cost 0: 3 + 0.5.
        var result = ContrastivePairLoss.Compute(Rows(Triangle), tensor(TriangleLabels), 0, 4.5);
        Assert.Equal(3.5, result.Loss.item<float>(), 1e-5);
        Assert.Equal((6L, 4L), (result.Selected, result.Active));
    }

    [Theory]
    [InlineData(PairMining.All, DistanceKind.Euclidean)]
    [InlineData(PairMining.Hard, DistanceKind.Euclidean)]
    [InlineData(PairMining.All, DistanceKind.Cosine)]
    [InlineData(PairMining.Hard, DistanceKind.Cosine)]
    public void PairMiningMatchesBruteForce(PairMining mining, DistanceKind kind)
    {
        var x = RandomRows(8, 3, 31);
        long[] y = { 0, 1, 2, 0, 1, 2, 0, 3 };
        var (loss, selected, active) = PairReference(x, y, 0.2, 0.9, mining, kind);
        using var scope = NewDisposeScope();
        var result = ContrastivePairLoss.Compute(Rows(x), tensor(y), 0.2, 0.9, kind, mining);
        Assert.Equal(selected, result.Selected);
        Assert.Equal(active, result.Active);
        Assert.Equal(loss, result.Loss.item<float>(), 1e-5);
    }

    [Fact]
    public void IdenticalEmbeddingsGiveFiniteGradients()
    {
        using var scope = NewDisposeScope();
        // Rows 0 and 1 coincide (a positive pair at distance 0), row 2 coincides with row 3 across labels.
        var x = tensor(new float[] { 1, 2, 1, 2, -1, 0, -1, 0 }, new long[] { 4, 2 }).requires_grad_();
        var y = tensor(new long[] { 0, 0, 1, 2 });
        foreach (var loss in new[]
        {
            TripletMarginLoss.Compute(x, y, 0.5).Loss,
            ContrastivePairLoss.Compute(x, y).Loss,
            ContrastivePairLoss.Compute(x, y, mining: PairMining.Hard).Loss,
        })
        {
            x.grad?.zero_();
            loss.backward();
            Assert.True(float.IsFinite(loss.item<float>()));
            Assert.True(x.grad!.isfinite().all().item<bool>());
        }
    }

    [Fact]
    public void NoActiveTripletGivesAGraphConnectedZero()
    {
        using var scope = NewDisposeScope();
        var x = Rows(Triangle).requires_grad_();
        var result = TripletMarginLoss.Compute(x, tensor(TriangleLabels), 0.5);   // 3 − 4 + 0.5 < 0, 3 − 5 + 0.5 < 0
        Assert.Equal((2L, 0L, 0.0), (result.Selected, result.Active, result.ActiveFraction));
        Assert.Equal(0f, result.Loss.item<float>());
        result.Loss.backward();
        Assert.Equal(0f, x.grad!.abs().sum().item<float>());
    }

    [Fact]
    public void RejectsBadArguments()
    {
        using var scope = NewDisposeScope();
        var x = ones(3, 2);
        var y = tensor(new long[] { 0, 0, 1 });
        Assert.Equal("margin", Assert.Throws<ArgumentOutOfRangeException>(() => TripletMarginLoss.Compute(x, y, -0.1)).ParamName);
        Assert.Equal("margin", Assert.Throws<ArgumentOutOfRangeException>(() => TripletMarginLoss.Compute(x, y, double.NaN)).ParamName);
        Assert.Equal("mining", Assert.Throws<ArgumentOutOfRangeException>(() => TripletMarginLoss.Compute(x, y, 0.1, (TripletMining)9)).ParamName);
        Assert.Equal("negativeMargin", Assert.Throws<ArgumentOutOfRangeException>(() => ContrastivePairLoss.Compute(x, y, 0, double.PositiveInfinity)).ParamName);
        Assert.Equal("distance", Assert.Throws<ArgumentOutOfRangeException>(() => ContrastivePairLoss.Compute(x, y, distance: (DistanceKind)7)).ParamName);
        Assert.Equal("labels", Assert.Throws<ArgumentException>(() => TripletMarginLoss.Compute(x, tensor(new long[] { 0, 1 }))).ParamName);
        Assert.Equal("labels", Assert.Throws<ArgumentException>(() => ContrastivePairLoss.Compute(x, tensor(new int[] { 0, 1, 1 }))).ParamName);
        Assert.Equal("embeddings", Assert.Throws<ArgumentException>(() => ContrastivePairLoss.Compute(ones(3), y)).ParamName);
    }
}
