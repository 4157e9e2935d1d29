using ContrastiveML.Losses;
using static TorchSharp.torch;

namespace ContrastiveML.Tests;

/// <summary>DenseCL's correspondence and dense InfoNCE loss against computations in plain doubles.</summary>
public class DenseClLossTests
{
    private static double[] Unit(double[] v) { double norm = Math.Sqrt(v.Sum(x => x * x)); return v.Select(x => x / norm).ToArray(); }

    private static double Dot(double[] a, double[] b) => a.Zip(b, (x, y) => x * y).Sum();

    /// <summary>[image][cell][channel] as an [N, C, 1, P] tensor (a 1 x P grid; cells row-major).</summary>
    private static Tensor Grid(double[][][] cells)
    {
        int n = cells.Length, p = cells[0].Length, c = cells[0][0].Length;
        var values = new float[n * c * p];
        for (int i = 0; i < n; i++)
            for (int s = 0; s < p; s++)
                for (int ch = 0; ch < c; ch++)
                    values[(i * c + ch) * p + s] = (float)cells[i][s][ch];
        return tensor(values, new long[] { n, c, 1, p });
    }

    private static Tensor Rows(double[][] rows) =>
        tensor(rows.SelectMany(r => r).Select(x => (float)x).ToArray(), new long[] { rows.Length, rows[0].Length });

    private static double[][][] RandomCells(int n, int p, int c, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, n).Select(_ => Enumerable.Range(0, p).Select(_ =>
            Enumerable.Range(0, c).Select(_ => random.NextDouble() * 2 - 1).ToArray()).ToArray()).ToArray();
    }

    /// <summary>argmax_t cos(f^q_s, f^k_t) per image and query cell, by brute force.</summary>
    private static long[][] ReferenceMatches(double[][][] query, double[][][] key) =>
        query.Select((cells, n) => cells.Select(q =>
        {
            var similarities = key[n].Select(k => Dot(Unit(q), Unit(k))).ToList();
            return (long)similarities.IndexOf(similarities.Max());
        }).ToArray()).ToArray();

    /// <summary>Eq. 2 of the paper, averaged over images and cells.</summary>
    private static double ReferenceLoss(double[][][] queryGrid, double[][][] keyGrid, long[][] matches, double[][] queue, double t)
    {
        double total = 0;
        int count = 0;
        for (int n = 0; n < queryGrid.Length; n++)
        {
            for (int s = 0; s < queryGrid[n].Length; s++)
            {
                var r = Unit(queryGrid[n][s]);
                double positive = Math.Exp(Dot(r, Unit(keyGrid[n][matches[n][s]])) / t);
                double negatives = queue.Sum(k => Math.Exp(Dot(r, Unit(k)) / t));
                total += -Math.Log(positive / (positive + negatives));
                count++;
            }
        }
        return total / count;
    }

    [Fact]
    public void CorrespondenceTakesTheMostSimilarKeyCellByCosineNotByDotProduct()
    {
        // Image 0: query cell 0 (1,0) has the larger dot product with key cell 2 (5,-4) but the larger cosine with key cell 1 (3, 0.1).
        double[][][] query =
        {
            new[] { new[] { 1.0, 0.0 }, new[] { 0.0, 1.0 }, new[] { 1.0, 1.0 } },
            new[] { new[] { 1.0, 0.2 }, new[] { -0.5, 1.0 }, new[] { 0.3, -1.0 } },
        };
        double[][][] key =
        {
            new[] { new[] { 0.0, 2.0 }, new[] { 3.0, 0.1 }, new[] { 5.0, -4.0 } },
            // Image 1: the query's cells in reverse order, scaled: cell s matches cell 2 - s.
            new[] { new[] { 0.6, -2.0 }, new[] { -1.5, 3.0 }, new[] { 4.0, 0.8 } },
        };
        using var scope = NewDisposeScope();
        var matches = DenseCorrespondence.Match(Grid(query), Grid(key));

        Assert.Equal(ScalarType.Int64, matches.dtype);
        Assert.Equal(new long[] { 2, 3 }, matches.shape);
        Assert.Equal(new long[] { 1, 0, 1, 2, 1, 0 }, matches.data<long>().ToArray());
        Assert.Equal(ReferenceMatches(query, key).SelectMany(m => m).ToArray(), matches.data<long>().ToArray());
    }

    [Fact]
    public void CorrespondenceOfRandomTwoDimensionalGridsMatchesBruteForce()
    {
        var query = RandomCells(3, 9, 5, 7);
        var key = RandomCells(3, 9, 5, 8);
        using var scope = NewDisposeScope();
        // The same cells laid out as 3x3 grids: indices are row-major.
        var matches = DenseCorrespondence.Match(Grid(query).reshape(3, 5, 3, 3), Grid(key).reshape(3, 5, 3, 3));
        Assert.Equal(ReferenceMatches(query, key).SelectMany(m => m).ToArray(), matches.data<long>().ToArray());
        Assert.False(matches.requires_grad);
    }

    [Fact]
    public void IdenticalViewsMatchEveryCellToItself()
    {
        using var scope = NewDisposeScope();
        var features = Grid(RandomCells(2, 9, 4, 3)).reshape(2, 4, 3, 3);
        var matches = DenseCorrespondence.Match(features, features * 2f);
        Assert.True(matches.eq(arange(9, dtype: ScalarType.Int64).expand(2, 9)).all().item<bool>());
    }

    [Fact]
    public void TinyDenseLossMatchesHandComputation()
    {
        // One image, D = 2, a 1x2 grid whose cells are matched crosswise, two queued negatives.
        double[][][] queryGrid = { new[] { new[] { 1.0, 0.0 }, new[] { 0.0, 1.0 } } };
        double[][][] keyGrid = { new[] { new[] { 0.0, 3.0 }, new[] { 2.0, 2.0 } } };
        long[][] matches = { new long[] { 1, 0 } };
        double[][] queue = { new[] { -1.0, 0.0 }, new[] { 1.0, -1.0 } };
        // Cell 0: r = (1,0), t+ = (1,1)/√2, negatives (-1,0) and (1,-1)/√2. Cell 1: r = (0,1), t+ = (0,1).
        double t = 0.2, h = 1 / Math.Sqrt(2);
        double cell0 = -Math.Log(Math.Exp(h / t) / (Math.Exp(h / t) + Math.Exp(-1 / t) + Math.Exp(h / t)));
        double cell1 = -Math.Log(Math.Exp(1 / t) / (Math.Exp(1 / t) + Math.Exp(0 / t) + Math.Exp(-h / t)));
        double expected = (cell0 + cell1) / 2;

        using var scope = NewDisposeScope();
        var loss = DenseInfoNceLoss.Compute(Grid(queryGrid), Grid(keyGrid), tensor(matches[0], new long[] { 1, 2 }), Rows(queue), t);
        Assert.Equal(0, loss.dim());
        Assert.Equal(expected, loss.item<float>(), 1e-5);
    }

    [Fact]
    public void RandomBatchMatchesHandComputationAndGradientsReachTheQueriesOnly()
    {
        var queryCells = RandomCells(2, 4, 3, 11);
        var keyCells = RandomCells(2, 4, 3, 12);
        double[][] queue = RandomCells(1, 5, 3, 13)[0];
        long[][] matches = { new long[] { 3, 3, 0, 1 }, new long[] { 2, 0, 1, 2 } };
        using var scope = NewDisposeScope();
        // A 2x2 grid: the four cells row-major.
        var queryGrid = Grid(queryCells).reshape(2, 3, 2, 2).detach().requires_grad_();
        var loss = DenseInfoNceLoss.Compute(queryGrid, Grid(keyCells).reshape(2, 3, 2, 2),
            tensor(matches.SelectMany(m => m).ToArray(), new long[] { 2, 4 }), Rows(queue), 0.2);

        Assert.Equal(ReferenceLoss(queryCells, keyCells, matches, queue, 0.2), loss.item<float>(), 1e-5);
        loss.backward();
        Assert.True(queryGrid.grad!.isfinite().all().item<bool>());
        Assert.True(queryGrid.grad.abs().sum().item<float>() > 0);
    }

    [Fact]
    public void CorrespondenceAndLossTogetherMatchTheReference()
    {
        var backboneQuery = RandomCells(2, 4, 6, 21);
        var backboneKey = RandomCells(2, 4, 6, 22);
        var queryCells = RandomCells(2, 4, 3, 23);
        var keyCells = RandomCells(2, 4, 3, 24);
        double[][] queue = RandomCells(1, 3, 3, 25)[0];
        using var scope = NewDisposeScope();
        var matches = DenseCorrespondence.Match(Grid(backboneQuery), Grid(backboneKey));
        var loss = DenseInfoNceLoss.Compute(Grid(queryCells), Grid(keyCells), matches, Rows(queue), 0.5);
        Assert.Equal(ReferenceLoss(queryCells, keyCells, ReferenceMatches(backboneQuery, backboneKey), queue, 0.5), loss.item<float>(), 1e-5);
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(-0.2)]
    [InlineData(double.NaN)]
    public void RejectsNonPositiveTemperature(double temperature)
    {
        using var scope = NewDisposeScope();
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() =>
            DenseInfoNceLoss.Compute(ones(1, 2, 1, 2), ones(1, 2, 1, 2), zeros(1, 2, dtype: ScalarType.Int64), ones(3, 2), temperature));
        Assert.Equal("temperature", ex.ParamName);
    }

    [Fact]
    public void RejectsMismatchedShapesAndMatchesOutsideTheGrid()
    {
        using var scope = NewDisposeScope();
        var grid = ones(1, 2, 1, 2);
        var matches = zeros(1, 2, dtype: ScalarType.Int64);
        Assert.Equal("queryGrid", Assert.Throws<ArgumentException>(() => DenseInfoNceLoss.Compute(ones(2, 2), grid, matches, ones(3, 2))).ParamName);
        Assert.Equal("keyGrid", Assert.Throws<ArgumentException>(() => DenseInfoNceLoss.Compute(grid, ones(1, 2, 2, 1), matches, ones(3, 2))).ParamName);
        Assert.Equal("matches", Assert.Throws<ArgumentException>(() => DenseInfoNceLoss.Compute(grid, grid, zeros(1, 3, dtype: ScalarType.Int64), ones(3, 2))).ParamName);
        Assert.Equal("matches", Assert.Throws<ArgumentException>(() => DenseInfoNceLoss.Compute(grid, grid, zeros(1, 2), ones(3, 2))).ParamName);
        var outside = Assert.Throws<ArgumentException>(() => DenseInfoNceLoss.Compute(grid, grid, tensor(new long[] { 0, 2 }, new long[] { 1, 2 }), ones(3, 2)));
        Assert.Equal("matches", outside.ParamName);
        Assert.Contains("[0, 2)", outside.Message);
        Assert.Equal("queue", Assert.Throws<ArgumentException>(() => DenseInfoNceLoss.Compute(grid, grid, matches, ones(3, 5))).ParamName);
        Assert.Equal("keyFeatures", Assert.Throws<ArgumentException>(() => DenseCorrespondence.Match(grid, ones(1, 3, 1, 2))).ParamName);
        Assert.Equal("queryFeatures", Assert.Throws<ArgumentException>(() => DenseCorrespondence.Match(ones(2, 2), ones(2, 2))).ParamName);
    }
}
