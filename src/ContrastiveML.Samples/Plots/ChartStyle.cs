using ScottPlot;

namespace ContrastiveML.Samples.Plots;

/// <summary>What every chart of the CLI shares: its colours, its font and how it is saved.</summary>
internal static class ChartStyle
{
    /// <summary>Distinguishable colours for series and classes (Tableau 10, matplotlib's default cycle).</summary>
    public static IReadOnlyList<Color> Palette { get; } = new[]
    {
        Color.FromHex("#1f77b4"), Color.FromHex("#ff7f0e"), Color.FromHex("#2ca02c"), Color.FromHex("#d62728"), Color.FromHex("#9467bd"),
        Color.FromHex("#8c564b"), Color.FromHex("#e377c2"), Color.FromHex("#7f7f7f"), Color.FromHex("#bcbd22"), Color.FromHex("#17becf"),
    };

    /// <summary>A new chart with a title and axis labels.</summary>
    public static Plot Create(string title, string xLabel, string yLabel)
    {
        var plot = new Plot();
        // SkiaSharp's default family resolves to a maths font on Debian; DejaVu Sans is its standard sans font (where it
        // is missing ScottPlot falls back to what SkiaSharp finds).
        plot.Font.Set("DejaVu Sans");
        plot.Title(title);
        plot.XLabel(xLabel);
        plot.YLabel(yLabel);
        return plot;
    }

    /// <summary>Saves <paramref name="plot"/> as a <paramref name="width"/> x <paramref name="height"/> PNG at <paramref name="path"/>; returns the path.</summary>
    public static string Save(Plot plot, string path, int width, int height)
    {
        plot.SavePng(path, width, height);
        return path;
    }
}
