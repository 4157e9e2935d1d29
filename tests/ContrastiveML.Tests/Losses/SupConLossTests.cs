using ContrastiveML.Losses;
using static TorchSharp.torch;

namespace ContrastiveML.Tests;

public class SupConLossTests
{
    /// <summary>SupCon L_out (Khosla et al. 2020, eq. 2) in plain doubles; returns the loss and the anchor count.</summary>
    private static (double Loss, int Anchors) Reference(double[][] features, long[] labels, double t)
    {
        var z = features.Select(v =>
        {
            double norm = Math.Sqrt(v.Sum(x => x * x));
            return v.Select(x => x / norm).ToArray();
        }).ToArray();
        int m = z.Length;
        double Sim(int a, int b) => z[a].Zip(z[b], (x, y) => x * y).Sum();
        double total = 0;
        int anchors = 0;
        for (int i = 0; i < m; i++)
        {
            var positives = Enumerable.Range(0, m).Where(p => p != i && labels[p] == labels[i]).ToArray();
            if (positives.Length == 0) continue;
            double denominator = Enumerable.Range(0, m).Where(a => a != i).Sum(a => Math.Exp(Sim(i, a) / t));
            total += positives.Sum(p => -Math.Log(Math.Exp(Sim(i, p) / t) / denominator)) / positives.Length;
            anchors++;
        }
        return (anchors == 0 ? 0 : total / anchors, anchors);
    }

    private static Tensor Rows(double[][] rows) =>
        tensor(rows.SelectMany(r => r).Select(x => (float)x).ToArray(), new long[] { rows.Length, rows[0].Length });

    private static double[][] RandomRows(int m, int d, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, m).Select(_ => Enumerable.Range(0, d).Select(_ => random.NextDouble() * 2 - 1).ToArray()).ToArray();
    }

    [Fact]
    public void TinyExampleMatchesHandComputation()
    {
        // Two views of three samples; samples 0 and 1 share class 7, so anchor 0 has positives 1, 3 and 4.
        double[][] f = { new[] { 1.0, 0.0 }, new[] { 0.5, 1.0 }, new[] { -1.0, 0.2 }, new[] { 1.0, 0.3 }, new[] { 0.0, 1.0 }, new[] { -1.0, -0.4 } };
        long[] labels = { 7, 7, 2, 7, 7, 2 };
        var (expected, anchors) = Reference(f, labels, 0.5);
        using var scope = NewDisposeScope();
        var loss = SupConLoss.Compute(Rows(f), tensor(labels), 0.5, out long count);
        Assert.Equal(0, loss.dim());
        Assert.Equal(6, anchors);
        Assert.Equal(anchors, count);
        Assert.Equal(expected, loss.item<float>(), 1e-5);
        Assert.Equal(expected, SupConLoss.Compute(Rows(f) * 4f, tensor(labels), 0.5).item<float>(), 1e-5);
    }

    [Fact]
    public void EqualsNtXentWhenOnlyTheTwoViewsShareALabel()
    {
        var z1 = RandomRows(5, 3, 11);
        var z2 = RandomRows(5, 3, 12);
        long[] labels = { 0, 1, 2, 3, 4, 0, 1, 2, 3, 4 };
        using var scope = NewDisposeScope();
        var supCon = SupConLoss.Compute(Rows(z1.Concat(z2).ToArray()), tensor(labels), 0.2, out long count).item<float>();
        var ntXent = NtXentLoss.Compute(Rows(z1), Rows(z2), 0.2).item<float>();
        Assert.Equal(10, count);
        Assert.Equal(ntXent, supCon, 1e-5);
        Assert.Equal(Reference(z1.Concat(z2).ToArray(), labels, 0.2).Loss, supCon, 1e-4);
    }

    [Fact]
    public void AnchorsWithoutPositivesAreLeftOut()
    {
        // Labels 5 and 9 appear once: those anchors have no positive and must not enter the mean (nor make it NaN).
        var f = RandomRows(6, 4, 3);
        long[] labels = { 1, 1, 5, 2, 2, 9 };
        var (expected, anchors) = Reference(f, labels, 0.1);
        using var scope = NewDisposeScope();
        var loss = SupConLoss.Compute(Rows(f), tensor(labels), 0.1, out long count).item<float>();
        Assert.Equal(4, anchors);
        Assert.Equal(4, count);
        Assert.False(float.IsNaN(loss));
        Assert.Equal(expected, loss, 1e-4);
    }

    [Fact]
    public void ThreeStackedViewsMatchHandComputation()
    {
        // V = 3 views of N = 3 samples, samples 0 and 2 of one class: 9 rows, each with 2 to 5 positives.
        var f = RandomRows(9, 3, 17);
        long[] labels = { 4, 8, 4, 4, 8, 4, 4, 8, 4 };
        var (expected, anchors) = Reference(f, labels, 0.3);
        using var scope = NewDisposeScope();
        var loss = SupConLoss.Compute(Rows(f), tensor(labels), 0.3, out long count);
        Assert.Equal(9, anchors);
        Assert.Equal(9, count);
        Assert.Equal(expected, loss.item<float>(), 1e-4);
    }

    [Fact]
    public void AllUniqueLabelsGiveAZeroLossThatStillBackpropagates()
    {
        using var scope = NewDisposeScope();
        var f = Rows(RandomRows(4, 3, 4)).requires_grad_();
        var loss = SupConLoss.Compute(f, tensor(new long[] { 0, 1, 2, 3 }), 0.1, out long count);
        Assert.Equal(0, count);
        Assert.Equal(0f, loss.item<float>());
        Assert.True(loss.requires_grad);
        loss.backward();
        Assert.NotNull(f.grad);
        Assert.Equal(0f, f.grad!.abs().sum().item<float>());
    }

    [Fact]
    public void GradientsAreFiniteAtSmallTemperature()
    {
        using var scope = NewDisposeScope();
        var f = Rows(RandomRows(8, 5, 6)).requires_grad_();
        var loss = SupConLoss.Compute(f, tensor(new long[] { 0, 1, 0, 1, 2, 3, 2, 3 }), 1e-4);
        loss.backward();
        Assert.True(float.IsFinite(loss.item<float>()));
        Assert.True(f.grad!.isfinite().all().item<bool>());
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(-0.1)]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    public void RejectsNonPositiveTemperature(double temperature)
    {
        using var scope = NewDisposeScope();
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => SupConLoss.Compute(ones(2, 3), tensor(new long[] { 0, 0 }), temperature));
        Assert.Equal("temperature", ex.ParamName);
    }

    [Fact]
    public void RejectsBadLabelShapesAndTypes()
    {
        using var scope = NewDisposeScope();
        Assert.Equal("labels", Assert.Throws<ArgumentException>(() => SupConLoss.Compute(ones(4, 3), tensor(new long[] { 0, 0, 1 }))).ParamName);
        Assert.Equal("labels", Assert.Throws<ArgumentException>(() => SupConLoss.Compute(ones(4, 3), zeros(new long[] { 4, 1 }, ScalarType.Int64))).ParamName);
        Assert.Equal("labels", Assert.Throws<ArgumentException>(() => SupConLoss.Compute(ones(4, 3), zeros(4))).ParamName);
        Assert.Equal("features", Assert.Throws<ArgumentException>(() => SupConLoss.Compute(ones(4), tensor(new long[] { 0, 0, 1, 1 }))).ParamName);
    }
}
