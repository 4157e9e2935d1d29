using System.Globalization;
using ContrastiveML.Training;

namespace ContrastiveML.Samples.Plots;

/// <summary>The pictures the CLI writes with <c>--plots DIR</c>: the loss curve and a 2-D PCA scatter of embeddings.</summary>
internal static class TrainingPlots
{
    /// <summary>File name of the loss-curve picture.</summary>
    public const string LossCurveFile = "loss.png";

    /// <summary>File name of the embedding scatter picture.</summary>
    public const string EmbeddingsFile = "embeddings-pca.png";

    /// <summary>Most points drawn in the scatter; more only hide each other and make PCA slower.</summary>
    public const int MaxScatterPoints = 5000;

    /// <summary>Writes <see cref="LossCurveFile"/> from <see cref="TrainingReport.LossCurve"/>; returns its path.</summary>
    public static string LossCurve(TrainingReport report, string directory)
    {
        Directory.CreateDirectory(directory);
        string path = Path.Combine(directory, LossCurveFile);
        var points = report.LossCurve.Select(p => ((double)p.Step, p.Loss)).ToList();
        double xMax = points.Count == 0 ? 1 : points.Max(p => p.Item1);
        double yMin = points.Count == 0 ? 0 : Math.Min(0, points.Min(p => p.Item2));
        double yMax = points.Count == 0 ? 1 : points.Max(p => p.Item2) * 1.05;
        using var chart = new PngChart(800, 500, 0, xMax, yMin, yMax,
            $"{report.Method} training loss ({report.Encoder}, batch {report.BatchSize}, {report.Steps} steps)", "optimiser step", "loss");
        chart.Line(points, PngChart.Palette[0]);
        chart.SavePng(path);
        return path;
    }

    /// <summary>
    /// Writes <see cref="EmbeddingsFile"/>: the embeddings projected on their first two principal components, one
    /// colour per label (at most ten labels get their own colour and legend entry; any others are grey). Returns its path.
    /// </summary>
    public static string Embeddings(IReadOnlyList<float[]> embeddings, IReadOnlyList<string> labels, string title, string directory)
    {
        if (labels.Count != embeddings.Count)
        {
            throw new ArgumentException($"Expected one label per embedding ({embeddings.Count}); found {labels.Count}.", nameof(labels));
        }
        Directory.CreateDirectory(directory);
        string path = Path.Combine(directory, EmbeddingsFile);
        (double X, double Y)[] points = Pca2D.Project(embeddings);
        double xMin = points.Length == 0 ? 0 : points.Min(p => p.X), xMax = points.Length == 0 ? 1 : points.Max(p => p.X);
        double yMin = points.Length == 0 ? 0 : points.Min(p => p.Y), yMax = points.Length == 0 ? 1 : points.Max(p => p.Y);
        // A 4% margin so that dots at the extremes are not cut by the frame.
        double xPad = (xMax - xMin) * 0.04, yPad = (yMax - yMin) * 0.04;
        using var chart = new PngChart(800, 600, xMin - xPad, xMax + xPad, yMin - yPad, yMax + yPad, title, "principal component 1", "principal component 2",
                                       legendWidth: 110);

        string[] distinct = labels.Distinct().Order(StringComparer.Ordinal).ToArray();
        bool coloured = distinct.Length > 1 || distinct.Any(l => l.Length > 0);
        for (int k = 0; k < distinct.Length; k++)
        {
            var color = !coloured ? PngChart.Palette[0] : k < PngChart.Palette.Count ? PngChart.Palette[k] : new SkiaSharp.SKColor(0xb0, 0xb0, 0xb0);
            string label = distinct[k];
            chart.Dots(points.Where((_, i) => labels[i] == label), color);
            if (coloured && k < PngChart.Palette.Count)
            {
                int count = labels.Count(l => l == label);
                chart.AddLegend($"{(label.Length == 0 ? "(none)" : label)} ({count.ToString(CultureInfo.InvariantCulture)})", color);
            }
        }
        chart.SavePng(path);
        return path;
    }
}
