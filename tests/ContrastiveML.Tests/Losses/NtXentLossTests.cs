using ContrastiveML.Losses;
using static TorchSharp.torch;

namespace ContrastiveML.Tests;

public class NtXentLossTests
{
    /// <summary>NT-Xent written out in plain doubles, straight from eq. 1 of the SimCLR paper.</summary>
    private static double Reference(double[][] z1, double[][] z2, double temperature)
    {
        var z = z1.Concat(z2).Select(v =>
        {
            double norm = Math.Sqrt(v.Sum(x => x * x));
            return v.Select(x => x / norm).ToArray();
        }).ToArray();
        int n = z1.Length, m = z.Length;
        double Sim(int a, int b) => z[a].Zip(z[b], (x, y) => x * y).Sum();
        double total = 0;
        for (int i = 0; i < m; i++)
        {
            int positive = i < n ? i + n : i - n;
            double denominator = 0;
            for (int k = 0; k < m; k++)
                if (k != i) denominator += Math.Exp(Sim(i, k) / temperature);
            total += -Math.Log(Math.Exp(Sim(i, positive) / temperature) / denominator);
        }
        return total / m;
    }

    private static Tensor Rows(double[][] rows) =>
        tensor(rows.SelectMany(r => r).Select(x => (float)x).ToArray(), new long[] { rows.Length, rows[0].Length });

    [Fact]
    public void TinyExampleMatchesHandComputation()
    {
        double[][] z1 = { new[] { 1.0, 0.0 }, new[] { 0.0, 2.0 } };
        double[][] z2 = { new[] { 1.0, 1.0 }, new[] { -1.0, 1.0 } };
        const double t = 0.5;
        double expected = Reference(z1, z2, t);
        using var scope = NewDisposeScope();
        var loss = NtXentLoss.Compute(Rows(z1), Rows(z2), t);
        Assert.Equal(0, loss.dim());
        Assert.Equal(expected, loss.item<float>(), 5);

        // Independent of the vectors' lengths and of which view is called first.
        Assert.Equal(expected, NtXentLoss.Compute(Rows(z1) * 3f, Rows(z2), t).item<float>(), 5);
        Assert.Equal(expected, NtXentLoss.Compute(Rows(z2), Rows(z1), t).item<float>(), 5);
    }

    [Fact]
    public void RandomBatchMatchesHandComputation()
    {
        var random = new Random(5);
        double[][] Make() => Enumerable.Range(0, 5).Select(_ => Enumerable.Range(0, 3).Select(_ => random.NextDouble() * 2 - 1).ToArray()).ToArray();
        var z1 = Make();
        var z2 = Make();
        using var scope = NewDisposeScope();
        Assert.Equal(Reference(z1, z2, 0.2), NtXentLoss.Compute(Rows(z1), Rows(z2), 0.2).item<float>(), 4);
    }

    [Fact]
    public void AlignedWellSeparatedPairsReachTheLowerBound()
    {
        // Four orthogonal directions, each view identical to its partner: positives at cosine 1, negatives at 0,
        // so the loss is its minimum for that geometry, log(1 + (2N - 2) exp(-1/t)).
        const double t = 0.1;
        using var scope = NewDisposeScope();
        var z = eye(4) * 2f;
        var loss = NtXentLoss.Compute(z, z.clone(), t).item<float>();
        double bound = Math.Log(1 + 6 * Math.Exp(-1 / t));
        Assert.Equal(bound, loss, 5);
        Assert.True(loss < 1e-3);

        using var g = new Generator(3);
        var random = NtXentLoss.Compute(randn(4, 4, generator: g), randn(4, 4, generator: g), t).item<float>();
        Assert.True(random > 10 * loss);
    }

    [Fact]
    public void GradientsFlowAndAreFinite()
    {
        using var scope = NewDisposeScope();
        using var g = new Generator(1);
        var z1 = randn(new long[] { 8, 16 }, generator: g).requires_grad_();
        var z2 = randn(new long[] { 8, 16 }, generator: g).requires_grad_();
        var loss = NtXentLoss.Compute(z1, z2, 0.5);
        loss.backward();
        foreach (var grad in new[] { z1.grad, z2.grad })
        {
            Assert.NotNull(grad);
            Assert.True(grad!.isfinite().all().item<bool>());
            Assert.True(grad.abs().sum().item<float>() > 0);
        }
    }

    [Fact]
    public void SmallTemperatureStaysFinite()
    {
        using var scope = NewDisposeScope();
        using var g = new Generator(2);
        var loss = NtXentLoss.Compute(randn(6, 4, generator: g), randn(6, 4, generator: g), 1e-4);
        Assert.True(float.IsFinite(loss.item<float>()));
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(-0.5)]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    public void RejectsNonPositiveTemperature(double temperature)
    {
        using var scope = NewDisposeScope();
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => NtXentLoss.Compute(ones(2, 3), ones(2, 3), temperature));
        Assert.Equal("temperature", ex.ParamName);
    }

    [Fact]
    public void RejectsMismatchedShapes()
    {
        using var scope = NewDisposeScope();
        Assert.Throws<ArgumentException>(() => NtXentLoss.Compute(ones(2, 3), ones(3, 3), 0.5));
        Assert.Throws<ArgumentException>(() => NtXentLoss.Compute(ones(2, 3), ones(2, 4), 0.5));
        Assert.Throws<ArgumentException>(() => NtXentLoss.Compute(ones(6), ones(6), 0.5));
    }
}
