using System.Globalization;
using ContrastiveML.Training;
using ScottPlot;

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

    /// <summary>Colour of the classes past the tenth (the palette has ten distinguishable colours).</summary>
    public static readonly Color OtherClassesColor = Color.FromHex("#b0b0b0");

    /// <summary>Writes <see cref="LossCurveFile"/> (800 x 500) from <see cref="TrainingReport.LossCurve"/>; returns its path.</summary>
    public static string LossCurve(TrainingReport report, string directory)
    {
        Directory.CreateDirectory(directory);
        Plot plot = ChartStyle.Create($"{report.Method} training loss ({report.Encoder}, batch {report.BatchSize}, {report.Steps} steps)", "optimiser step", "loss");
        if (report.LossCurve.Count > 0)
        {
            var line = plot.Add.ScatterLine(report.LossCurve.Select(p => (double)p.Step).ToArray(), report.LossCurve.Select(p => p.Loss).ToArray(), ChartStyle.Palette[0]);
            line.LineWidth = 2;
        }
        // The loss axis from 0 (or below, for a negative loss), so the curve's fall reads at its true scale.
        double low = report.LossCurve.Count == 0 ? 0 : Math.Min(0, report.LossCurve.Min(p => p.Loss));
        double high = report.LossCurve.Count == 0 ? 1 : Math.Max(low + 1e-9, report.LossCurve.Max(p => p.Loss) * 1.05);
        plot.Axes.SetLimitsY(low, high);
        return ChartStyle.Save(plot, Path.Combine(directory, LossCurveFile), 800, 500);
    }

    /// <summary>
    /// Writes <see cref="EmbeddingsFile"/> (800 x 600): the embeddings projected on their first two principal components,
    /// one colour per label (at most ten labels get their own colour and legend entry with their count; any others are
    /// grey). Returns its path.
    /// </summary>
    public static string Embeddings(IReadOnlyList<float[]> embeddings, IReadOnlyList<string> labels, string title, string directory)
    {
        if (labels.Count != embeddings.Count)
        {
            throw new ArgumentException($"Expected one label per embedding ({embeddings.Count}); found {labels.Count}.", nameof(labels));
        }
        Directory.CreateDirectory(directory);
        (double X, double Y)[] points = Pca2D.Project(embeddings);
        Plot plot = ChartStyle.Create(title, "principal component 1", "principal component 2");

        string[] distinct = labels.Distinct().Order(StringComparer.Ordinal).ToArray();
        bool coloured = distinct.Length > 1 || distinct.Any(l => l.Length > 0);
        for (int k = 0; k < distinct.Length; k++)
        {
            string label = distinct[k];
            int[] members = Enumerable.Range(0, labels.Count).Where(i => labels[i] == label).ToArray();
            Color color = !coloured ? ChartStyle.Palette[0] : k < ChartStyle.Palette.Count ? ChartStyle.Palette[k] : OtherClassesColor;
            var dots = plot.Add.ScatterPoints(members.Select(i => points[i].X).ToArray(), members.Select(i => points[i].Y).ToArray(), color);
            dots.MarkerSize = 5;
            if (coloured && k < ChartStyle.Palette.Count)
            {
                dots.LegendText = $"{(label.Length == 0 ? "(none)" : label)} ({members.Length.ToString(CultureInfo.InvariantCulture)})";
            }
        }
        // The legend outside the data area, so it hides no points.
        if (coloured) plot.ShowLegend(Edge.Right);
        return ChartStyle.Save(plot, Path.Combine(directory, EmbeddingsFile), 800, 600);
    }
}
