using System.Globalization;
using SkiaSharp;

namespace ContrastiveML.Samples.Plots;

/// <summary>The accuracy report's pictures: accuracy per method as bars with the references as lines, and every method's loss curve on one time axis.</summary>
internal static class AccuracyPlots
{
    /// <summary>File name of the accuracy bar chart.</summary>
    public const string AccuracyFile = "accuracy.png";

    /// <summary>File name of the loss-curve chart.</summary>
    public const string LossCurvesFile = "loss-curves.png";

    /// <summary>Colours of the reference lines: raw pixels, random init, cross-entropy.</summary>
    internal static readonly SKColor RawColor = new(0x55, 0x55, 0x55), RandomColor = new(0xd6, 0x27, 0x28), CrossEntropyColor = new(0x2c, 0xa0, 0x2c);

    /// <summary>
    /// Writes <see cref="AccuracyFile"/>: one bar per contrastive method (best first), dashed lines at the raw-pixel,
    /// random-init and (when present) cross-entropy accuracies. The y axis starts near the lowest figure, since all of
    /// them lie within a few points. Returns its path.
    /// </summary>
    public static string Accuracy(IReadOnlyList<ProbeResult> results, string directory)
    {
        Directory.CreateDirectory(directory);
        string path = Path.Combine(directory, AccuracyFile);
        ProbeResult[] methods = results.Where(r => !r.IsCrossEntropy).OrderByDescending(r => r.Accuracy).ToArray();
        ProbeResult? crossEntropy = results.FirstOrDefault(r => r.IsCrossEntropy);
        (double raw, string rawOthers) = Shared(results, r => r.RawPixelAccuracy);
        (double random, string randomOthers) = Shared(results, r => r.RandomEncoderAccuracy);
        var all = methods.Select(m => 100 * m.Accuracy).Append(raw).Append(random).Concat(crossEntropy is null ? Array.Empty<double>() : new[] { 100 * crossEntropy.Accuracy }).ToArray();
        double yMin = Math.Floor(all.Min() - 2), yMax = Math.Min(100, Math.Ceiling(all.Max() + 2));
        using var chart = new PngChart(800, 500, 0, Math.Max(1, methods.Length), yMin, yMax,
            "Linear-probe test accuracy per pretraining method", "method", "test accuracy (%)", legendWidth: 260, xTicks: false);
        for (int i = 0; i < methods.Length; i++)
        {
            double value = 100 * methods[i].Accuracy;
            chart.Bar(i + 0.5, 0.3, value, PngChart.Palette[0]);
            chart.ValueLabel(i + 0.5, value, value.ToString("F2", CultureInfo.InvariantCulture));
            chart.CategoryLabel(i + 0.5, methods[i].Method);
        }
        // The references as dashed lines named in the legend (labels on the lines would sit on the bars).
        void Reference(double value, SKColor color, string name, string others = "")
        {
            chart.HorizontalLine(value, color);
            chart.AddLegend($"{name} {value.ToString("F2", CultureInfo.InvariantCulture)}{others}", color);
        }
        if (crossEntropy != null) Reference(100 * crossEntropy.Accuracy, CrossEntropyColor, "supervised cross-entropy");
        Reference(random, RandomColor, "random-init encoder", randomOthers);
        Reference(raw, RawColor, "raw pixels", rawOthers);
        chart.SavePng(path);
        return path;
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
    /// Writes <see cref="LossCurvesFile"/>: each run's training loss against seconds of training, divided by its first
    /// report's loss (the losses of different methods live on different scales: NT-Xent near ln(2N), cross-entropy
    /// near ln(10), margins near 0). Runs without a recorded curve are left out. Returns its path.
    /// </summary>
    public static string LossCurves(IReadOnlyList<ProbeResult> results, string directory)
    {
        Directory.CreateDirectory(directory);
        string path = Path.Combine(directory, LossCurvesFile);
        ProbeResult[] withCurves = results.Where(r => r.LossCurve.Count > 0).ToArray();
        var curves = withCurves.Select(r =>
        {
            double first = r.LossCurve[0].Loss;
            double scale = Math.Abs(first) > 1e-12 ? first : 1;
            return (r.Method, Points: r.LossCurve.Select(p => (p.Seconds, p.Loss / scale)).ToList());
        }).ToArray();
        double xMax = curves.Length == 0 ? 1 : curves.Max(c => c.Points.Max(p => p.Seconds));
        double yMin = curves.Length == 0 ? 0 : Math.Min(0, curves.Min(c => c.Points.Min(p => p.Item2)));
        double yMax = curves.Length == 0 ? 1 : curves.Max(c => c.Points.Max(p => p.Item2)) * 1.05;
        using var chart = new PngChart(800, 500, 0, xMax, yMin, yMax, "Training loss of each method, relative to its first report",
                                       "seconds of pretraining", "loss / first reported loss", legendWidth: 130);
        for (int i = 0; i < curves.Length; i++)
        {
            SKColor color = PngChart.Palette[i % PngChart.Palette.Count];
            chart.Line(curves[i].Points, color);
            chart.AddLegend(curves[i].Method, color);
        }
        chart.SavePng(path);
        return path;
    }
}
