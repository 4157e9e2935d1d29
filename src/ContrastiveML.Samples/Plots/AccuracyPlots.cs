using System.Globalization;
using ContrastiveML.Samples.Reporting;
using ScottPlot;

namespace ContrastiveML.Samples.Plots;

/// <summary>The accuracy report's pictures: accuracy per method as bars with the references as lines, and every method's loss curve on one time axis.</summary>
internal static class AccuracyPlots
{
    /// <summary>File name of the accuracy bar chart.</summary>
    public const string AccuracyFile = "accuracy.png";

    /// <summary>File name of the loss-curve chart.</summary>
    public const string LossCurvesFile = "loss-curves.png";

    /// <summary>Colours of the reference lines: raw pixels, random init, cross-entropy.</summary>
    internal static readonly Color RawColor = Color.FromHex("#555555"), RandomColor = Color.FromHex("#d62728"), CrossEntropyColor = Color.FromHex("#2ca02c");

    /// <summary>
    /// Writes <see cref="AccuracyFile"/> (800 x 500): one bar per contrastive method (best first) with its value on top,
    /// dashed lines at the raw-pixel, random-init and (when present) cross-entropy accuracies, named in the legend. The y
    /// axis starts near the lowest figure, since all of them lie within a few points. Returns its path.
    /// </summary>
    public static string Accuracy(IReadOnlyList<ProbeResult> results, string directory)
    {
        Directory.CreateDirectory(directory);
        ProbeResult[] methods = results.Where(r => !r.IsCrossEntropy).OrderByDescending(r => r.Accuracy).ToArray();
        ProbeResult? crossEntropy = results.FirstOrDefault(r => r.IsCrossEntropy);
        (double raw, string rawOthers) = Shared(results, r => r.RawPixelAccuracy);
        (double random, string randomOthers) = Shared(results, r => r.RandomEncoderAccuracy);
        var all = methods.Select(m => 100 * m.Accuracy).Append(raw).Append(random).Concat(crossEntropy is null ? Array.Empty<double>() : new[] { 100 * crossEntropy.Accuracy }).ToArray();
        double yMin = Math.Floor(all.Min() - 2), yMax = Math.Min(100, Math.Ceiling(all.Max() + 2));

        Plot plot = ChartStyle.Create("Linear-probe test accuracy per pretraining method", "method", "test accuracy (%)");
        var bars = methods.Select((m, i) => new Bar
        {
            Position = i,
            Value = 100 * m.Accuracy,
            // Bars rise from the axis floor: the accuracies differ by points, which bars from 0 would flatten.
            ValueBase = yMin,
            FillColor = ChartStyle.Palette[0],
            Size = 0.6,
            Label = (100 * m.Accuracy).ToString("F2", CultureInfo.InvariantCulture),
        }).ToList();
        plot.Add.Bars(bars);
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(
            Enumerable.Range(0, methods.Length).Select(i => (double)i).ToArray(), methods.Select(m => m.Method).ToArray());

        // The references as dashed lines named in the legend (labels on the lines would sit on the bars).
        void Reference(double value, Color color, string name, string others = "")
        {
            var line = plot.Add.HorizontalLine(value, 2, color, LinePattern.Dashed);
            line.LegendText = $"{name} {value.ToString("F2", CultureInfo.InvariantCulture)}{others}";
        }
        if (crossEntropy != null) Reference(100 * crossEntropy.Accuracy, CrossEntropyColor, "supervised cross-entropy");
        Reference(random, RandomColor, "random-init encoder", randomOthers);
        Reference(raw, RawColor, "raw pixels", rawOthers);
        // Below the chart: three long entries at the right would squeeze the bars into half the picture.
        plot.ShowLegend(Edge.Bottom);
        plot.Axes.SetLimits(-0.5, Math.Max(1, methods.Length) - 0.5, yMin, yMax);
        return ChartStyle.Save(plot, Path.Combine(directory, AccuracyFile), 800, 500);
    }

    /// <summary>
    /// The reference most runs share (in percent), drawn as the line, and the runs with another value as " (cmc 88.38)"
    /// for the legend: references are never averaged (CMC's random-init encoder is its own view pair).
    /// </summary>
    private static (double Value, string Others) Shared(IReadOnlyList<ProbeResult> results, Func<ProbeResult, double> reference)
    {
        // The table's grouping of equal references (AccuracyReport.Distinct), largest group first.
        var groups = AccuracyReport.Distinct(results, reference).OrderByDescending(g => g.Group.Count).ToList();
        string others = string.Join(", ", groups.Skip(1).SelectMany(g => g.Group.Select(r => $"{r.Method} {(100 * g.Value).ToString("F2", CultureInfo.InvariantCulture)}")));
        return (100 * groups[0].Value, others.Length > 0 ? $" ({others})" : "");
    }

    /// <summary>
    /// Writes <see cref="LossCurvesFile"/> (800 x 500): each run's training loss against seconds of training, divided by
    /// its first report's loss (the losses of different methods live on different scales: NT-Xent near ln(2N),
    /// cross-entropy near ln(10), margins near 0). Runs without a recorded curve are left out. Returns its path.
    /// </summary>
    public static string LossCurves(IReadOnlyList<ProbeResult> results, string directory)
    {
        Directory.CreateDirectory(directory);
        var curves = results.Where(r => r.LossCurve.Count > 0).Select(r =>
        {
            double first = r.LossCurve[0].Loss;
            double scale = Math.Abs(first) > 1e-12 ? first : 1;
            return (r.Method, Seconds: r.LossCurve.Select(p => p.Seconds).ToArray(), Relative: r.LossCurve.Select(p => p.Loss / scale).ToArray());
        }).ToArray();
        Plot plot = ChartStyle.Create("Training loss of each method, relative to its first report", "seconds of pretraining", "loss / first reported loss");
        for (int i = 0; i < curves.Length; i++)
        {
            var line = plot.Add.ScatterLine(curves[i].Seconds, curves[i].Relative, ChartStyle.Palette[i % ChartStyle.Palette.Count]);
            line.LineWidth = 2;
            line.LegendText = curves[i].Method;
        }
        if (curves.Length > 0) plot.ShowLegend(Edge.Right);
        // From 0 (or below, for a negative loss), as the single-run loss chart.
        double low = curves.Length == 0 ? 0 : Math.Min(0, curves.Min(c => c.Relative.Min()));
        double high = curves.Length == 0 ? 1 : Math.Max(low + 1e-9, 1.05 * curves.Max(c => c.Relative.Max()));
        plot.Axes.SetLimitsY(low, high);
        return ChartStyle.Save(plot, Path.Combine(directory, LossCurvesFile), 800, 500);
    }
}
