using System.CommandLine;
using ContrastiveML.Samples.Reporting;

namespace ContrastiveML.Samples.Commands;

/// <summary>
/// <c>report</c>: the accuracy table and pictures of BENCHMARKS.md from the JSON files <c>probe --json</c> wrote, one
/// per method, without rerunning anything: a Markdown table (printed, and written with <c>--markdown</c>) and, with
/// <c>--plots</c>, accuracy.png (bars per method, reference lines) and loss-curves.png (all methods on one time axis).
/// </summary>
internal static class ReportCommand
{
    public static Command Create()
    {
        var probes = new Option<string[]>("--probes")
        {
            Description = "JSON files written by `probe --json`, one per method (a shell pattern such as docs/probe-*.json works); a `--method crossentropy` run becomes the upper reference.",
            AllowMultipleArgumentsPerToken = true,
            Required = true,
        };
        var markdown = new Option<string?>("--markdown") { Description = "Also write the Markdown table to this file." };
        var plots = new Option<string?>("--plots") { HelpName = "DIR", Description = "Write accuracy.png and loss-curves.png here." };
        var command = new Command("report", "Build the accuracy table (Markdown) and pictures from probe JSON files, without rerunning.") { probes, markdown, plots };
        command.SetAction(parse => CommandErrors.Run(
            () => Run(parse.GetValue(probes)!, parse.GetValue(markdown), parse.GetValue(plots), parse.InvocationConfiguration.Output),
            parse.InvocationConfiguration.Error));
        return command;
    }

    internal static int Run(IReadOnlyList<string> probeFiles, string? markdownPath, string? plotsDirectory, TextWriter output)
    {
        if (probeFiles.Count == 0) throw new ArgumentException("--probes needs at least one JSON file written by `probe --json`.");
        List<ProbeResult> results = probeFiles.Distinct().Select(ProbeResult.Load).ToList();
        string table = AccuracyReport.Markdown(results);
        output.Write(table);
        if (markdownPath != null)
        {
            File.WriteAllText(markdownPath, table);
            output.WriteLine($"table written to {markdownPath}");
        }
        if (plotsDirectory != null)
        {
            output.WriteLine($"plot: {Plots.AccuracyPlots.Accuracy(results, plotsDirectory)}");
            output.WriteLine($"plot: {Plots.AccuracyPlots.LossCurves(results, plotsDirectory)}");
        }
        return 0;
    }
}
