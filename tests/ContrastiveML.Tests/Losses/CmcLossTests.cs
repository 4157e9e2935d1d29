using ContrastiveML.Losses;
using static TorchSharp.torch;

namespace ContrastiveML.Tests;

/// <summary>The CMC loss against the paper's formulas evaluated in plain doubles, for batch and memory-bank negatives, two and three views.</summary>
public class CmcLossTests
{
    private static double[] Unit(double[] v)
    {
        double norm = Math.Sqrt(v.Sum(x => x * x));
        return v.Select(x => x / norm).ToArray();
    }

    private static double Dot(double[] a, double[] b) => a.Zip(b, (x, y) => x * y).Sum();

    /// <summary>L(V_i, V_j): −mean_n log( h(z_i^n, z_j^n) / Σ_c h(z_i^n, c) ), candidates the batch's view j or the positive plus view j's bank.</summary>
    private static double Term(double[][] anchor, double[][] contrast, double t, double[][]? bank)
    {
        double total = 0;
        for (int n = 0; n < anchor.Length; n++)
        {
            double[] a = Unit(anchor[n]);
            double positive = Math.Exp(Dot(a, Unit(contrast[n])) / t);
            IEnumerable<double[]> candidates = bank == null ? contrast : bank.Prepend(contrast[n]);
            double denominator = candidates.Sum(c => Math.Exp(Dot(a, Unit(c)) / t));
            total += -Math.Log(positive / denominator);
        }
        return total / anchor.Length;
    }

    private static double Reference(double[][][] views, double t, IEnumerable<(int, int)> pairs, double[][][]? banks = null) =>
        pairs.Sum(p => Term(views[p.Item1], views[p.Item2], t, banks?[p.Item2]) + Term(views[p.Item2], views[p.Item1], t, banks?[p.Item1]));

    private static Tensor Rows(double[][] rows) =>
        tensor(rows.SelectMany(r => r).Select(x => (float)x).ToArray(), new long[] { rows.Length, rows[0].Length });

    private static double[][] RandomRows(int m, int d, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, m).Select(_ => Enumerable.Range(0, d).Select(_ => random.NextDouble() * 2 - 1).ToArray()).ToArray();
    }

    private static float Loss(double[][][] views, double t, CmcObjective objective, double[][][]? banks = null)
    {
        using var scope = NewDisposeScope();
        return CmcLoss.Compute(views.Select(Rows).ToArray(), t, objective, banks?.Select(Rows).ToArray()).item<float>();
    }

    [Fact]
    public void TwoViewsWithBatchNegativesMatchHandComputation()
    {
        // Three images, two views in 2-D; τ = 0.5 keeps the exponentials hand-checkable.
        double[][] l = { new[] { 1.0, 0.0 }, new[] { 0.0, 1.0 }, new[] { -1.0, 1.0 } };
        double[][] ab = { new[] { 1.0, 0.2 }, new[] { 0.3, 1.0 }, new[] { -1.0, -0.5 } };
        double expected = Term(l, ab, 0.5, null) + Term(ab, l, 0.5, null);
        Assert.Equal(expected, Loss(new[] { l, ab }, 0.5, CmcObjective.FullGraph), 1e-5);
        // Symmetric in the two views, and the same under both objectives with two views.
        Assert.Equal(expected, Loss(new[] { ab, l }, 0.5, CmcObjective.CoreView), 1e-5);
        // Scaling a row does not change cosines.
        Assert.Equal(expected, Loss(new[] { l.Select(r => r.Select(x => 3 * x).ToArray()).ToArray(), ab }, 0.5, CmcObjective.FullGraph), 1e-5);
    }

    [Fact]
    public void OneImageWithBatchNegativesHasOnlyItsPositiveAndZeroLoss()
    {
        // −log(h / h) = 0 for each direction.
        Assert.Equal(0.0, Loss(new[] { new[] { new[] { 1.0, 2.0 } }, new[] { new[] { -3.0, 0.5 } } }, 0.07, CmcObjective.FullGraph), 1e-6);
    }

    [Fact]
    public void TwoViewsWithMemoryBankMatchHandComputation()
    {
        double[][][] views = { RandomRows(4, 3, 1), RandomRows(4, 3, 2) };
        double[][][] banks = { RandomRows(6, 3, 3), RandomRows(6, 3, 4) };
        double expected = Reference(views, 0.2, new[] { (0, 1) }, banks);
        Assert.Equal(expected, Loss(views, 0.2, CmcObjective.FullGraph, banks), 1e-4);
        // The loss itself, without the banks, takes batch negatives and gives another value: the bank really replaces them.
        double withoutBanks = Loss(views, 0.2, CmcObjective.FullGraph);
        Assert.Equal(Reference(views, 0.2, new[] { (0, 1) }), withoutBanks, 1e-4);
        Assert.NotEqual(expected, withoutBanks, 3);
    }

    [Fact]
    public void ThreeViewsCoreViewAndFullGraphMatchHandComputation()
    {
        double[][][] views = { RandomRows(5, 4, 11), RandomRows(5, 4, 12), RandomRows(5, 4, 13) };
        double core = Reference(views, 0.1, new[] { (0, 1), (0, 2) });
        double full = Reference(views, 0.1, new[] { (0, 1), (0, 2), (1, 2) });
        Assert.Equal(core, Loss(views, 0.1, CmcObjective.CoreView), 1e-4);
        Assert.Equal(full, Loss(views, 0.1, CmcObjective.FullGraph), 1e-4);
        // The full graph adds exactly the pair the core view leaves out.
        Assert.Equal(full - core, Loss(new[] { views[1], views[2] }, 0.1, CmcObjective.FullGraph), 1e-4);
    }

    [Fact]
    public void ThreeViewsWithMemoryBanksMatchHandComputation()
    {
        double[][][] views = { RandomRows(3, 4, 21), RandomRows(3, 4, 22), RandomRows(3, 4, 23) };
        double[][][] banks = { RandomRows(5, 4, 24), RandomRows(5, 4, 25), RandomRows(5, 4, 26) };
        Assert.Equal(Reference(views, 0.3, new[] { (0, 1), (0, 2), (1, 2) }, banks), Loss(views, 0.3, CmcObjective.FullGraph, banks), 1e-4);
        Assert.Equal(Reference(views, 0.3, new[] { (0, 1), (0, 2) }, banks), Loss(views, 0.3, CmcObjective.CoreView, banks), 1e-4);
    }

    [Fact]
    public void GradientsReachTheViewsButNotTheBanks()
    {
        using var scope = NewDisposeScope();
        var a = Rows(RandomRows(4, 3, 1)).requires_grad_(true);
        var b = Rows(RandomRows(4, 3, 2)).requires_grad_(true);
        var bankA = Rows(RandomRows(6, 3, 3)).requires_grad_(true);
        var bankB = Rows(RandomRows(6, 3, 4)).requires_grad_(true);
        CmcLoss.Compute(new[] { a, b }, 0.07, CmcObjective.FullGraph, new[] { bankA, bankB }).backward();
        Assert.True(a.grad!.abs().sum().item<float>() > 0);
        Assert.True(b.grad!.abs().sum().item<float>() > 0);
        Assert.Null(bankA.grad);
        Assert.Null(bankB.grad);
    }

    [Fact]
    public void PairsFollowTheObjective()
    {
        Assert.Equal(new[] { (0, 1), (0, 2), (0, 3) }, CmcLoss.Pairs(4, CmcObjective.CoreView));
        Assert.Equal(new[] { (0, 1), (0, 2), (0, 3), (1, 2), (1, 3), (2, 3) }, CmcLoss.Pairs(4, CmcObjective.FullGraph));
        Assert.Equal(new[] { (0, 1) }, CmcLoss.Pairs(2, CmcObjective.CoreView));
    }

    [Fact]
    public void BadInputsAreRejectedWithTheReason()
    {
        using var scope = NewDisposeScope();
        var a = Rows(RandomRows(4, 3, 1));
        var b = Rows(RandomRows(4, 3, 2));
        Assert.Contains("at least two views", Assert.Throws<ArgumentException>(() => CmcLoss.Compute(new[] { a }, 0.07)).Message);
        Assert.Contains("found 0", Assert.Throws<ArgumentOutOfRangeException>(() => CmcLoss.Compute(new[] { a, b }, 0)).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => CmcLoss.Compute(new[] { a, b }, double.NaN));
        Assert.Throws<ArgumentOutOfRangeException>(() => CmcLoss.Compute(new[] { a, b }, 0.07, (CmcObjective)7));
        var shorter = Rows(RandomRows(3, 3, 2));
        Assert.Contains("view 1 is [3, 3]", Assert.Throws<ArgumentException>(() => CmcLoss.Compute(new[] { a, shorter }, 0.07)).Message);
        Assert.Contains("one memory bank per view", Assert.Throws<ArgumentException>(() => CmcLoss.Compute(new[] { a, b }, 0.07, CmcObjective.FullGraph, new[] { a })).Message);
        var narrowBank = Rows(RandomRows(5, 2, 3));
        Assert.Contains("[K, 3]", Assert.Throws<ArgumentException>(() => CmcLoss.Compute(new[] { a, b }, 0.07, CmcObjective.FullGraph, new[] { narrowBank, narrowBank })).Message);
    }
}
