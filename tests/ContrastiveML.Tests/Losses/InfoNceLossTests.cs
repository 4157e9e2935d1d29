using ContrastiveML.Losses;
using static TorchSharp.torch;

namespace ContrastiveML.Tests;

public class InfoNceLossTests
{
    /// <summary>MoCo's InfoNCE (eq. 1) in plain doubles.</summary>
    private static double Reference(double[][] q, double[][] k, double[][] queue, double t)
    {
        static double[] Unit(double[] v) { double norm = Math.Sqrt(v.Sum(x => x * x)); return v.Select(x => x / norm).ToArray(); }
        static double Dot(double[] a, double[] b) => a.Zip(b, (x, y) => x * y).Sum();
        double total = 0;
        for (int i = 0; i < q.Length; i++)
        {
            var qi = Unit(q[i]);
            double positive = Math.Exp(Dot(qi, Unit(k[i])) / t);
            double negatives = queue.Sum(n => Math.Exp(Dot(qi, Unit(n)) / t));
            total += -Math.Log(positive / (positive + negatives));
        }
        return total / q.Length;
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
        double[][] q = { new[] { 1.0, 0.0 }, new[] { 0.0, 2.0 } };
        double[][] k = { new[] { 1.0, 1.0 }, new[] { -1.0, 3.0 } };
        double[][] queue = { new[] { -1.0, 0.0 }, new[] { 1.0, -1.0 }, new[] { 0.5, 0.5 } };
        double expected = Reference(q, k, queue, 0.2);
        using var scope = NewDisposeScope();
        var loss = InfoNceLoss.Compute(Rows(q), Rows(k), Rows(queue), 0.2);
        Assert.Equal(0, loss.dim());
        Assert.Equal(expected, loss.item<float>(), 1e-5);
        // Lengths do not matter: everything is normalised.
        Assert.Equal(expected, InfoNceLoss.Compute(Rows(q) * 3f, Rows(k) * 0.5f, Rows(queue) * 7f, 0.2).item<float>(), 1e-5);
    }

    [Fact]
    public void RandomBatchMatchesHandComputationAndGradientsAreFinite()
    {
        var q = RandomRows(6, 4, 41);
        var k = RandomRows(6, 4, 42);
        var queue = RandomRows(10, 4, 43);
        using var scope = NewDisposeScope();
        var query = Rows(q).requires_grad_();
        var loss = InfoNceLoss.Compute(query, Rows(k), Rows(queue), 0.07);
        Assert.Equal(Reference(q, k, queue, 0.07), loss.item<float>(), 1e-4);
        loss.backward();
        Assert.True(query.grad!.isfinite().all().item<bool>());
        Assert.True(query.grad.abs().sum().item<float>() > 0);
        Assert.True(float.IsFinite(InfoNceLoss.Compute(Rows(q), Rows(k), Rows(queue), 1e-4).item<float>()));
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(-1.0)]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    public void RejectsNonPositiveTemperature(double temperature)
    {
        using var scope = NewDisposeScope();
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => InfoNceLoss.Compute(ones(2, 3), ones(2, 3), ones(4, 3), temperature));
        Assert.Equal("temperature", ex.ParamName);
    }

    [Fact]
    public void RejectsMismatchedShapes()
    {
        using var scope = NewDisposeScope();
        Assert.Equal("query", Assert.Throws<ArgumentException>(() => InfoNceLoss.Compute(ones(6), ones(2, 3), ones(4, 3))).ParamName);
        Assert.Equal("key", Assert.Throws<ArgumentException>(() => InfoNceLoss.Compute(ones(2, 3), ones(3, 3), ones(4, 3))).ParamName);
        Assert.Equal("queue", Assert.Throws<ArgumentException>(() => InfoNceLoss.Compute(ones(2, 3), ones(2, 3), ones(4, 2))).ParamName);
        Assert.Equal("queue", Assert.Throws<ArgumentException>(() => InfoNceLoss.Compute(ones(2, 3), ones(2, 3), ones(0, 3))).ParamName);
    }
}
