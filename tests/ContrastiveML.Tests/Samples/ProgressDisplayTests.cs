using ContrastiveML.Samples;
using ContrastiveML.Training;

namespace ContrastiveML.Tests;

public sealed class ProgressDisplayTests
{
    private static TrainingProgress Report(long step, double loss) => new(
        "SimCLR", 1, 3, step, 100, loss, 1e-3, 512, TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(95), new Dictionary<string, double>());

    [Fact]
    public void RedirectedOutputGetsOnePlainLinePerReport()
    {
        var output = new StringWriter();
        var display = new ProgressDisplay(output, live: false);
        display.Report(Report(10, 5.25));
        display.Report(Report(20, 4.5));
        display.Finish();

        string[] lines = output.ToString().Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Length);
        Assert.DoesNotContain('\r', output.ToString().Replace(Environment.NewLine, ""));
        Assert.Equal(Report(10, 5.25).ToString(), lines[0]);
        Assert.Contains("epoch 1/3 step 20/100 loss 4.5000", lines[1]);
        Assert.Contains("512 img/s", lines[1]);
        Assert.Contains("left 00:01:35", lines[1]);
        Assert.Equal(10, display.IntervalSeconds);
    }

    [Fact]
    public void TheLiveLineIsRewrittenInPlaceAndEndedOnce()
    {
        var output = new StringWriter();
        var display = new ProgressDisplay(output, live: true);
        display.Report(Report(10, 12.25));
        display.Report(Report(20, 4.5));
        display.Finish();

        string text = output.ToString();
        Assert.Equal(2, text.Count(c => c == '\r'));
        Assert.EndsWith(Environment.NewLine, text);
        Assert.Single(text.Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries));
        // The second line covers the first completely, so no stale characters remain.
        string[] frames = text[..^Environment.NewLine.Length].Split('\r', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(frames[1].Length >= frames[0].Length);
        Assert.StartsWith(ProgressDisplay.Format(Report(20, 4.5)), frames[1]);
    }

    private static TrainingProgress Evaluated(long step, double knn, string? warning)
    {
        var init = new ContrastiveML.Evaluation.EvaluationPoint { Step = 0, KnnAccuracy = 0.8, EffectiveRank = 50 };
        var latest = new ContrastiveML.Evaluation.EvaluationPoint { Step = step, KnnAccuracy = knn, EffectiveRank = 40, Warning = warning };
        var evaluation = new ContrastiveML.Evaluation.EvaluationReport
        {
            Neighbors = 5, HeldOutRows = 1000, HasLabels = true,
            Pixels = new ContrastiveML.Evaluation.EvaluationPoint { Step = -1, KnnAccuracy = 0.75 },
            Points = new[] { init, latest },
        };
        return Report(step, 4) with { Evaluation = evaluation };
    }

    [Fact]
    public void TheLiveLineShowsKnnAgainstBothReferencesAndAWarningGetsItsOwnLineOnce()
    {
        Assert.EndsWith("| kNN 82.5% (init 80.0%, pixels 75.0%)", ProgressDisplay.Format(Evaluated(10, 0.825, null)));
        var output = new StringWriter();
        var display = new ProgressDisplay(output, live: true);
        display.Report(Evaluated(10, 0.70, "WARNING: worse"));
        display.Report(Evaluated(20, 0.70, "WARNING: worse"));
        display.Finish();
        string[] lines = output.ToString().Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(1, lines.Count(l => l.Contains("step 10: WARNING: worse")));
        Assert.DoesNotContain(lines, l => l.Contains("step 20: WARNING"));
        Assert.EndsWith("(init 80.0%, pixels 75.0%) !", lines[^1].TrimEnd());
    }

    [Fact]
    public void TheLogLineCarriesTheEvaluationStatus()
    {
        string line = Evaluated(10, 0.825, null).ToString();
        Assert.Contains("| eval@10: kNN(k=5, cosine) 82.5% [pixels 75.0%, random init 80.0%]", line);
    }
}
