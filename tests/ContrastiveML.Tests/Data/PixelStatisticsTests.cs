using ContrastiveML.Data;
using Microsoft.ML;

namespace ContrastiveML.Tests;

public class PixelStatisticsTests
{
    private sealed class TwoChannelRow
    {
        [Microsoft.ML.Data.VectorType(4)]
        public float[] Pixels { get; set; } = Array.Empty<float>();
    }

    [Fact]
    public void MeanAndStdArePerChannelOfScaledPixels()
    {
        var ml = new MLContext(1);
        // Shape 2x1x2: channel 0 = pixels 0,1; channel 1 = pixels 2,3.
        var rows = new[]
        {
            new TwoChannelRow { Pixels = new float[] { 0, 2, 10, 10 } },
            new TwoChannelRow { Pixels = new float[] { 4, 6, 10, 10 } },
        };
        PixelStatistics stats = PixelStatistics.Scan(ml.Data.LoadFromEnumerable(rows), "Pixels", new ImageShape(2, 1, 2), scale: 0.5f);

        Assert.Equal(2, stats.RowCount);
        // Channel 0 scaled: 0, 1, 2, 3 -> mean 1.5, population std sqrt(1.25).
        Assert.Equal(1.5f, stats.Mean[0], 5);
        Assert.Equal((float)Math.Sqrt(1.25), stats.Std[0], 5);
        // Channel 1 is constant 5: the std floor keeps normalisation finite.
        Assert.Equal(5f, stats.Mean[1], 5);
        Assert.Equal(1e-3f, stats.Std[1], 6);
    }

    [Theory]
    [InlineData(float.NaN)]
    [InlineData(float.PositiveInfinity)]
    public void NonFinitePixelIsAnErrorNamingColumnAndRow(float bad)
    {
        var ml = new MLContext(1);
        var rows = new[]
        {
            new TwoChannelRow { Pixels = new float[] { 0, 2, 10, 10 } },
            new TwoChannelRow { Pixels = new float[] { 4, 6, bad, 10 } },
        };
        var error = Assert.Throws<InvalidOperationException>(() =>
            PixelStatistics.Scan(ml.Data.LoadFromEnumerable(rows), "Pixels", new ImageShape(2, 1, 2), 1f));
        Assert.Contains("'Pixels'", error.Message);
        Assert.Contains("row 1", error.Message);
        Assert.Contains("index 2", error.Message);
    }

    [Theory]
    [InlineData(0, "no rows")]
    [InlineData(1, "1 row")]
    public void TooFewRowsIsAnError(int count, string expected)
    {
        var ml = new MLContext(1);
        var rows = Enumerable.Range(0, count).Select(_ => new TwoChannelRow { Pixels = new float[4] });
        var error = Assert.Throws<InvalidOperationException>(() =>
            PixelStatistics.Scan(ml.Data.LoadFromEnumerable(rows), "Pixels", new ImageShape(2, 1, 2), 1f));
        Assert.Contains("'Pixels'", error.Message);
        Assert.Contains(expected, error.Message);
    }
}
