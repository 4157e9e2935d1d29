using System.Globalization;
using System.Text;

namespace ContrastiveML.Samples.Reporting;

/// <summary>
/// The accuracy table of BENCHMARKS.md from probe results: one row per contrastive run (best first), named by its
/// method and the options that set it apart (<see cref="ProbeResult.Name"/>), with its linear-probe test accuracy and the gain over the raw-pixel and random-init references of its own file, then the
/// references themselves (raw pixels, the random-init encoder, and the supervised cross-entropy encoder when a run of it
/// is among the files). Every figure is copied from the files; nothing is rerun.
/// </summary>
/// <remarks>
/// Files may hold different references: CMC's random-init encoder is its own pair of half-width view encoders, and
/// runs on other data or seeds differ in both. Each row is then compared with its own file's references, every distinct
/// reference gets a row naming the methods it belongs to, and a note says so; nothing is averaged.
/// </remarks>
internal static class AccuracyReport
{
    /// <summary>References closer than this (0.01 point) count as the same figure.</summary>
    private const double SameReference = 0.0001;

    public static string Markdown(IReadOnlyList<ProbeResult> results)
    {
        if (results.Count == 0) throw new ArgumentException("No probe results to report.", nameof(results));
        var invariant = CultureInfo.InvariantCulture;
        var text = new StringBuilder();
        text.AppendLine("| method | encoder | linear-probe accuracy | vs raw pixels | vs random init | pretraining | steps | images/s | train / test images |");
        text.AppendLine("|---|---|---:|---:|---:|---:|---:|---:|---|");
        var ordered = results.Where(r => !r.IsCrossEntropy).OrderByDescending(r => r.Accuracy).ThenBy(r => r.Method, StringComparer.Ordinal)
            .Select(r => (r.Name, Result: r))
            .Concat(results.Where(r => r.IsCrossEntropy).Select(r => (Name: "reference: supervised cross-entropy", Result: r)));
        foreach ((string name, ProbeResult r) in ordered)
        {
            string accuracy = r.IsCrossEntropy ? Percent(r.Accuracy) : $"**{Percent(r.Accuracy)}**";
            text.AppendLine(string.Create(invariant,
                $"| {name} | {r.Encoder} | {accuracy} | {Points(r.Accuracy - r.RawPixelAccuracy)} | {Points(r.Accuracy - r.RandomEncoderAccuracy)} | " +
                $"{r.PretrainSeconds:F0} s | {r.Steps:N0} | {r.TrainImagesPerSecond:F0} | {r.TrainRows:N0} / {r.TestRows:N0} |"));
        }
        var raws = Distinct(results, r => r.RawPixelAccuracy);
        var randoms = Distinct(results, r => r.RandomEncoderAccuracy);
        foreach ((double raw, IReadOnlyList<ProbeResult> group) in raws)
        {
            var others = Distinct(group, r => r.RandomEncoderAccuracy);
            string versus = others.Count == 1 ? Points(raw - others[0].Value) : "-";
            text.AppendLine($"| reference: raw pixels{Owners(group, raws.Count)} | - | {Percent(raw)} | - | {versus} | - | - | - | |");
        }
        foreach ((double random, IReadOnlyList<ProbeResult> group) in randoms)
        {
            var others = Distinct(group, r => r.RawPixelAccuracy);
            string versus = others.Count == 1 ? Points(random - others[0].Value) : "-";
            text.AppendLine($"| reference: random-init encoder{Owners(group, randoms.Count)} | - | {Percent(random)} | {versus} | - | - | - | - | |");
        }
        text.AppendLine();
        if (!results.Any(r => r.IsCrossEntropy)) text.AppendLine("No supervised cross-entropy run among the files: the upper reference is missing.");
        foreach (string note in ReferenceNotes(raws, randoms)) text.AppendLine(note);
        text.AppendLine("Runs:");
        foreach (ProbeResult r in results)
        {
            string command = r.CommandLine.Length > 0 ? $"`{r.CommandLine}`" : "(command line not recorded)";
            text.AppendLine($"- {r.Method}: {command}{(r.Date.Length > 0 ? $", {r.Date}" : "")} ({System.IO.Path.GetFileName(r.Path)})");
        }
        return text.ToString();
    }

    /// <summary>The distinct values of a reference (within <see cref="SameReference"/>), in file order, each with the runs that hold it.</summary>
    internal static IReadOnlyList<(double Value, IReadOnlyList<ProbeResult> Group)> Distinct(IEnumerable<ProbeResult> results, Func<ProbeResult, double> reference)
    {
        var groups = new List<(double Value, List<ProbeResult> Group)>();
        foreach (ProbeResult r in results)
        {
            int i = groups.FindIndex(g => Math.Abs(g.Value - reference(r)) < SameReference);
            if (i < 0) groups.Add((reference(r), new List<ProbeResult> { r }));
            else groups[i].Group.Add(r);
        }
        return groups.Select(g => (g.Value, (IReadOnlyList<ProbeResult>)g.Group)).ToList();
    }

    /// <summary>" (cmc)" naming the runs a reference belongs to, or nothing when every run shares it.</summary>
    private static string Owners(IReadOnlyList<ProbeResult> group, int distinct) =>
        distinct == 1 ? "" : " (" + string.Join(", ", group.Select(r => r.Method)) + ")";

    /// <summary>Notes on files that hold different references, with what that means.</summary>
    private static IEnumerable<string> ReferenceNotes(IReadOnlyList<(double Value, IReadOnlyList<ProbeResult> Group)> raws,
                                                      IReadOnlyList<(double Value, IReadOnlyList<ProbeResult> Group)> randoms)
    {
        if (raws.Count > 1)
        {
            yield return "Note: the files hold different raw-pixel references (" + Listing(raws) + "): those runs did not use the same data or " +
                         "seed. Each row's gains are against its own file's references.";
        }
        if (randoms.Count > 1)
        {
            bool cmc = randoms.Any(g => g.Group.All(r => string.Equals(r.Method, "cmc", StringComparison.OrdinalIgnoreCase)));
            yield return "Note: the files hold different random-init references (" + Listing(randoms) + ")" +
                         (cmc ? "; CMC's random-init encoder is its own pair of half-width view encoders" : "") +
                         ". Each row's gains are against its own file's references.";
        }
    }

    private static string Listing(IReadOnlyList<(double Value, IReadOnlyList<ProbeResult> Group)> groups) =>
        string.Join("; ", groups.Select(g => $"{Percent(g.Value)} in {string.Join(", ", g.Group.Select(r => r.Method))}"));

    /// <summary>0.9066 -> "90.66%".</summary>
    internal static string Percent(double fraction) => (100 * fraction).ToString("F2", CultureInfo.InvariantCulture) + "%";

    /// <summary>0.0623 -> "+6.23 pts", -0.01 -> "-1.00 pts".</summary>
    internal static string Points(double difference) =>
        (difference >= 0 ? "+" : "-") + Math.Abs(100 * difference).ToString("F2", CultureInfo.InvariantCulture) + " pts";
}
