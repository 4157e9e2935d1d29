using System.Globalization;
using System.Text.Json;
using ContrastiveML.Samples;
using ContrastiveML.Samples.Plots;
using ContrastiveML.Samples.Reporting;
using ContrastiveML.Training;
using Microsoft.ML.Data;

namespace ContrastiveML.Tests;

/// <summary>
/// The <c>report</c> verb on fixture probe JSON files: the accuracy table's rows, order and differences (computed by
/// hand below from the fixture figures), the reference rows, warnings, the pictures, and errors naming bad files.
/// </summary>
public sealed class ReportCommandTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("contrastiveml-report-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    /// <summary>A probe JSON file as `probe --json` writes it; <paramref name="curve"/> false writes the older format without loss curve or command line.</summary>
    private string Probe(string method, double accuracy, double raw = 0.8443, double random = 0.8809, bool curve = true, string options = "")
    {
        var figures = new Dictionary<string, object?>
        {
            ["method"] = method, ["encoder"] = "CompactCnn", ["pooling"] = "Grid3x3", ["epochs"] = 7, ["batchSize"] = 256, ["steps"] = 1634,
            ["pretrainSeconds"] = 900.1, ["trainImagesPerSecond"] = 463.7, ["linearProbeAccuracy"] = accuracy, ["rawPixelAccuracy"] = raw,
            ["randomEncoderAccuracy"] = random, ["trainRows"] = 60000, ["testRows"] = 10000, ["date"] = "2026-11-23T14:44:54Z",
        };
        if (curve)
        {
            figures["commandLine"] = $"contrastiveml probe --method {method}{options} --minutes 15 --json docs/probe-{method}.json";
            figures["lossCurve"] = Enumerable.Range(1, 20).Select(i => new Dictionary<string, double> { ["seconds"] = 45.0 * i, ["step"] = 80 * i, ["loss"] = 5.0 / Math.Sqrt(i) }).ToList();
        }
        string path = Path.Combine(_folder, $"probe-{method}{options.Replace(' ', '_')}.json");
        File.WriteAllText(path, JsonSerializer.Serialize(figures));
        return path;
    }

    private static string[] TableRows(string markdown) => markdown.Split('\n').Where(l => l.StartsWith("| ", StringComparison.Ordinal)).Skip(1).ToArray();

    [Fact]
    public void TwoRunsOfOneMethodAreNamedByTheOptionsThatSetThemApart()
    {
        string plain = Probe("supcon", 0.9214, options: " --views 1"), weighted = Probe("supcon", 0.9255, options: " --views 1 --cross-entropy-weight 1");
        string[] rows = TableRows(AccuracyReport.Markdown(new[] { plain, weighted, Probe("simclr", 0.9066) }.Select(ProbeResult.Load).ToList()));
        // Where a run read and wrote and how long it ran (--minutes, --json) say nothing about what it trained.
        Assert.StartsWith("| supcon --views 1 --cross-entropy-weight 1 | CompactCnn | **92.55%**", rows[0]);
        Assert.StartsWith("| supcon --views 1 | CompactCnn | **92.14%**", rows[1]);
        Assert.StartsWith("| simclr | CompactCnn | **90.66%**", rows[2]);
        Assert.Equal("simclr", ProbeResult.Load(Probe("simclr", 0.9, curve: false)).Name); // no command line recorded
    }

    [Fact]
    public void TableOrdersMethodsByAccuracyAndShowsTheReferences()
    {
        string[] files = { Probe("simclr", 0.9066), Probe("supcon", 0.9130), Probe("metric", 0.8950), Probe("crossentropy", 0.9300) };
        string markdownPath = Path.Combine(_folder, "accuracy.md"), plots = Path.Combine(_folder, "plots");

        var (code, output, error) = CliRunner.Run(new[] { "report", "--probes" }.Concat(files).Concat(new[] { "--markdown", markdownPath, "--plots", plots }).ToArray());

        Assert.True(code == 0, error);
        string[] rows = TableRows(File.ReadAllText(markdownPath));
        Assert.Equal(6, rows.Length);
        // Best first; differences in points: supcon 91.30 - 84.43 = +6.87 and 91.30 - 88.09 = +3.21.
        Assert.StartsWith("| supcon | CompactCnn | **91.30%** | +6.87 pts | +3.21 pts | 900 s | 1,634 | 464 | 60,000 / 10,000 |", rows[0]);
        Assert.StartsWith("| simclr | CompactCnn | **90.66%** | +6.23 pts | +2.57 pts |", rows[1]);
        Assert.StartsWith("| metric | CompactCnn | **89.50%** | +5.07 pts | +1.41 pts |", rows[2]);
        // The references: cross-entropy (upper), raw pixels, random init (88.09 - 84.43 = +3.66).
        Assert.StartsWith("| reference: supervised cross-entropy | CompactCnn | 93.00% | +8.57 pts | +4.91 pts |", rows[3]);
        Assert.StartsWith("| reference: raw pixels | - | 84.43% | - | -3.66 pts |", rows[4]);
        Assert.StartsWith("| reference: random-init encoder | - | 88.09% | +3.66 pts | - |", rows[5]);
        Assert.Contains("`contrastiveml probe --method supcon --minutes 15 --json docs/probe-supcon.json`", output);
        Assert.DoesNotContain("Note:", output);

        using MLImage accuracy = MLImage.CreateFromFile(Path.Combine(plots, AccuracyPlots.AccuracyFile));
        using MLImage loss = MLImage.CreateFromFile(Path.Combine(plots, AccuracyPlots.LossCurvesFile));
        Assert.Equal((800, 500), (accuracy.Width, accuracy.Height));
        Assert.Equal((800, 500), (loss.Width, loss.Height));
        Assert.Contains(ChartStyle.Palette[0], Colours(accuracy)); // the bars
    }

    [Fact]
    public void OlderFilesAndDisagreeingReferencesAreReportedNotHidden()
    {
        string old = Probe("simclr", 0.9066, curve: false);
        string other = Probe("supcon", 0.9000, raw: 0.8333);

        var (code, output, error) = CliRunner.Run("report", "--probes", old, other, "--plots", Path.Combine(_folder, "plots"));

        Assert.True(code == 0, error);
        Assert.Contains("(command line not recorded)", output);
        Assert.Contains("upper reference is missing", output);
        // Raw pixels 84.43% in one file and 83.33% in the other: a reference row each, named, nothing averaged, and a note.
        Assert.Contains("| reference: raw pixels (simclr) | - | 84.43% | - | -3.66 pts |", output);
        Assert.Contains("| reference: raw pixels (supcon) | - | 83.33% | - | -4.76 pts |", output);
        Assert.Contains("different raw-pixel references (84.43% in simclr; 83.33% in supcon)", output);
        // Each method against its own file: supcon 90.00 - 83.33 = +6.67.
        Assert.Contains("| supcon | CompactCnn | **90.00%** | +6.67 pts | +1.91 pts |", output);
    }

    [Fact]
    public void CmcIsComparedWithItsOwnRandomInitEncoder()
    {
        string simclr = Probe("simclr", 0.9066);
        string cmc = Probe("cmc", 0.8874, random: 0.8838);

        var (code, output, error) = CliRunner.Run("report", "--probes", simclr, cmc, "--plots", Path.Combine(_folder, "plots"));

        Assert.True(code == 0, error);
        // 88.74 - 88.38 = +0.36 (not against SimCLR's 88.09, nor a mean of the two).
        Assert.Contains("| cmc | CompactCnn | **88.74%** | +4.31 pts | +0.36 pts |", output);
        Assert.Contains("| simclr | CompactCnn | **90.66%** | +6.23 pts | +2.57 pts |", output);
        Assert.Contains("| reference: raw pixels | - | 84.43% | - | - |", output);
        Assert.Contains("| reference: random-init encoder (simclr) | - | 88.09% | +3.66 pts | - |", output);
        Assert.Contains("| reference: random-init encoder (cmc) | - | 88.38% | +3.95 pts | - |", output);
        Assert.Contains("CMC's random-init encoder is its own pair of half-width view encoders", output);
        Assert.DoesNotContain("disagree", output);
    }

    [Fact]
    public void BadFilesAreNamedWithWhatIsWrong()
    {
        string missingField = Path.Combine(_folder, "probe-broken.json");
        File.WriteAllText(missingField, """{ "method": "simclr", "encoder": "CompactCnn" }""");
        var (code, _, error) = CliRunner.Run("report", "--probes", missingField);
        Assert.Equal(1, code);
        Assert.Contains($"'{missingField}' has no 'linearProbeAccuracy'", error);

        string notJson = Path.Combine(_folder, "probe-text.json");
        File.WriteAllText(notJson, "accuracy 90%");
        (code, _, error) = CliRunner.Run("report", "--probes", notJson);
        Assert.Equal(1, code);
        Assert.Contains($"'{notJson}' is not JSON", error);

        (code, _, error) = CliRunner.Run("report", "--probes", Path.Combine(_folder, "absent.json"));
        Assert.Equal(1, code);
        Assert.Contains("absent.json' does not exist", error);
    }

    [Fact]
    public void LossCurveRecorderKeepsSecondsStepAndLossAndForwards()
    {
        var forwarded = new List<long>();
        var recorder = new LossCurveRecorder(new SynchronousProgress(p => forwarded.Add(p.Step)));
        var empty = new Dictionary<string, double>();
        recorder.Report(new TrainingProgress("SimCLR", 1, 2, 10, 100, 4.5, 0.1, 300, TimeSpan.FromSeconds(12.346), TimeSpan.Zero, empty));
        recorder.Report(new TrainingProgress("SimCLR", 1, 2, 20, 100, 4.0, 0.1, 300, TimeSpan.FromSeconds(24.5), TimeSpan.Zero, empty));
        Assert.Equal(new[] { 10L, 20L }, forwarded);
        Assert.Equal(new[] { new LossPoint(12.35, 10, 4.5), new LossPoint(24.5, 20, 4.0) }, recorder.Points);
    }

    [Fact]
    public void PercentAndPointsUseTheInvariantCulture()
    {
        CultureInfo previous = CultureInfo.CurrentCulture;
        CultureInfo.CurrentCulture = CultureInfo.GetCultureInfo("de-DE");
        try
        {
            Assert.Equal("90.66%", AccuracyReport.Percent(0.9066));
            Assert.Equal("-1.00 pts", AccuracyReport.Points(-0.01));
            Assert.Equal("+0.00 pts", AccuracyReport.Points(0));
        }
        finally
        {
            CultureInfo.CurrentCulture = previous;
        }
    }

    private static HashSet<ScottPlot.Color> Colours(MLImage image)
    {
        ReadOnlySpan<byte> pixels = image.Pixels; // BGRA32
        var colours = new HashSet<ScottPlot.Color>();
        for (int i = 0; i < pixels.Length; i += 4) colours.Add(new ScottPlot.Color(pixels[i + 2], pixels[i + 1], pixels[i], (byte)255));
        return colours;
    }
}
