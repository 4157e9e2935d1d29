using System.Globalization;
using ContrastiveML.Samples;
using ContrastiveML.Samples.Plots;
using ContrastiveML.Training;
using Microsoft.ML.Data;

namespace ContrastiveML.Tests;

public sealed class PlotTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("contrastiveml-plots-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void PcaFindsTheDirectionOfLargestVariance()
    {
        // Spread mostly along (1, 1, 0)/sqrt(2), a little along z: component 1 must be the diagonal.
        var random = new Random(2);
        var vectors = Enumerable.Range(0, 200).Select(_ =>
        {
            double t = random.NextDouble() * 10, z = random.NextDouble();
            return new[] { (float)(t + 3), (float)(t - 1), (float)z };
        }).ToList();
        (double X, double Y)[] points = Pca2D.Project(vectors);
        double spreadX = points.Max(p => p.X) - points.Min(p => p.X), spreadY = points.Max(p => p.Y) - points.Min(p => p.Y);
        Assert.InRange(spreadX, 10 * Math.Sqrt(2) * 0.9, 10 * Math.Sqrt(2) * 1.01);
        Assert.InRange(spreadY, 0.5, 1.01);
        Assert.InRange(Math.Abs(points.Average(p => p.X)), 0, 1e-6);
    }

    [Fact]
    public void WritesReadableLossAndScatterPngs()
    {
        var report = new TrainingReport
        {
            Method = "SimCLR", Encoder = "CompactCnn", Device = "cpu", BatchSize = 64, Steps = 40,
            LossCurve = Enumerable.Range(1, 40).Select(s => ((long)s, 5.0 / Math.Sqrt(s))).ToList(),
        };
        string loss = TrainingPlots.LossCurve(report, _folder);
        var random = new Random(1);
        var embeddings = Enumerable.Range(0, 60).Select(i => new[] { (float)(i % 3 * 4 + random.NextDouble()), (float)random.NextDouble(), 0f }).ToList();
        var labels = Enumerable.Range(0, 60).Select(i => (i % 3).ToString(CultureInfo.InvariantCulture)).ToList();
        string scatter = TrainingPlots.Embeddings(embeddings, labels, "test", _folder);

        using MLImage lossImage = MLImage.CreateFromFile(loss);
        using MLImage scatterImage = MLImage.CreateFromFile(scatter);
        Assert.Equal((800, 500), (lossImage.Width, lossImage.Height));
        Assert.Equal((800, 600), (scatterImage.Width, scatterImage.Height));
        Assert.Contains(ChartStyle.Palette[2], Colours(scatterImage));
    }

    [Fact]
    public void EmbeddingCsvUsesTheInvariantCultureAndQuotesPaths()
    {
        CultureInfo previous = CultureInfo.CurrentCulture;
        CultureInfo.CurrentCulture = CultureInfo.GetCultureInfo("de-DE");
        try
        {
            string path = Path.Combine(_folder, "e.csv");
            EmbeddingCsv.Write(path, new[] { ("a,b.png", new[] { 0.5f, -1.25f }), ("c.png", new[] { 1e-8f, 3f }) });
            Assert.Equal(new[] { "path,e0,e1", "\"a,b.png\",0.5,-1.25", "c.png,1E-08,3" }, File.ReadAllLines(path));
        }
        finally
        {
            CultureInfo.CurrentCulture = previous;
        }
    }

    private static HashSet<ScottPlot.Color> Colours(MLImage image)
    {
        // MLImage holds BGRA32 pixels.
        ReadOnlySpan<byte> pixels = image.Pixels;
        var colours = new HashSet<ScottPlot.Color>();
        for (int i = 0; i < pixels.Length; i += 4) colours.Add(new ScottPlot.Color(pixels[i + 2], pixels[i + 1], pixels[i], (byte)255));
        return colours;
    }
}
