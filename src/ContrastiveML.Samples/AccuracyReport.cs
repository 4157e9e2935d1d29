using System.Globalization;
using System.Text;

namespace ContrastiveML.Samples;

/// <summary>
/// The accuracy table of BENCHMARKS.md from probe results: one row per contrastive method (best first) with its
/// linear-probe test accuracy and the gain over the raw-pixel and random-init references, then the references
/// themselves (raw pixels, the random-init encoder, and the supervised cross-entropy encoder when a run of it is among
/// the files). Every figure is copied from the files; nothing is rerun.
/// </summary>
internal static class AccuracyReport
{
    /// <summary>Raw-pixel and random-init accuracies differing by more than this across files are called out (0.1 point).</summary>
    private const double ReferenceSpread = 0.001;

    public static string Markdown(IReadOnlyList<ProbeResult> results)
    {
        if (results.Count == 0) throw new ArgumentException("No probe results to report.", nameof(results));
        var invariant = CultureInfo.InvariantCulture;
        double raw = results.Average(r => r.RawPixelAccuracy);
        double random = results.Average(r => r.RandomEncoderAccuracy);
        var text = new StringBuilder();
        text.AppendLine("| method | encoder | linear-probe accuracy | vs raw pixels | vs random init | pretraining | steps | images/s | train / test images |");
        text.AppendLine("|---|---|---:|---:|---:|---:|---:|---:|---|");
        foreach (ProbeResult r in results.Where(r => !r.IsCrossEntropy).OrderByDescending(r => r.Accuracy).ThenBy(r => r.Method, StringComparer.Ordinal))
        {
            text.AppendLine(string.Create(invariant,
                $"| {r.Method} | {r.Encoder} | **{Percent(r.Accuracy)}** | {Points(r.Accuracy - raw)} | {Points(r.Accuracy - random)} | " +
                $"{r.PretrainSeconds:F0} s | {r.Steps:N0} | {r.TrainImagesPerSecond:F0} | {r.TrainRows:N0} / {r.TestRows:N0} |"));
        }
        foreach (ProbeResult r in results.Where(r => r.IsCrossEntropy))
        {
            text.AppendLine(string.Create(invariant,
                $"| reference: supervised cross-entropy | {r.Encoder} | {Percent(r.Accuracy)} | {Points(r.Accuracy - raw)} | {Points(r.Accuracy - random)} | " +
                $"{r.PretrainSeconds:F0} s | {r.Steps:N0} | {r.TrainImagesPerSecond:F0} | {r.TrainRows:N0} / {r.TestRows:N0} |"));
        }
        text.AppendLine(string.Create(invariant, $"| reference: raw pixels | - | {Percent(raw)} | - | {Points(raw - random)} | - | - | - | |"));
        text.AppendLine(string.Create(invariant, $"| reference: random-init encoder | - | {Percent(random)} | {Points(random - raw)} | - | - | - | - | |"));
        text.AppendLine();
        if (!results.Any(r => r.IsCrossEntropy)) text.AppendLine("No supervised cross-entropy run among the files: the upper reference is missing.");
        foreach (string warning in ReferenceWarnings(results)) text.AppendLine(warning);
        text.AppendLine("Runs:");
        foreach (ProbeResult r in results)
        {
            string command = r.CommandLine.Length > 0 ? $"`{r.CommandLine}`" : "(command line not recorded)";
            text.AppendLine($"- {r.Method}: {command}{(r.Date.Length > 0 ? $", {r.Date}" : "")} ({System.IO.Path.GetFileName(r.Path)})");
        }
        return text.ToString();
    }

    /// <summary>Lines saying where the files disagree on the reference accuracies (different data limits or seeds).</summary>
    internal static IEnumerable<string> ReferenceWarnings(IReadOnlyList<ProbeResult> results)
    {
        foreach ((string name, Func<ProbeResult, double> value) in new (string, Func<ProbeResult, double>)[]
                 { ("raw-pixel", r => r.RawPixelAccuracy), ("random-init", r => r.RandomEncoderAccuracy) })
        {
            double min = results.Min(value), max = results.Max(value);
            if (max - min > ReferenceSpread)
            {
                yield return string.Create(CultureInfo.InvariantCulture,
                    $"Note: the files disagree on the {name} reference ({Percent(min)} to {Percent(max)}; the table shows their mean): the runs did not use the same data or seed.");
            }
        }
    }

    /// <summary>0.9066 -> "90.66%".</summary>
    internal static string Percent(double fraction) => (100 * fraction).ToString("F2", CultureInfo.InvariantCulture) + "%";

    /// <summary>0.0623 -> "+6.23 pts", -0.01 -> "-1.00 pts".</summary>
    internal static string Points(double difference) =>
        (difference >= 0 ? "+" : "-") + Math.Abs(100 * difference).ToString("F2", CultureInfo.InvariantCulture) + " pts";
}
