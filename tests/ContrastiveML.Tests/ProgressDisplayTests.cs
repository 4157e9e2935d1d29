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
}
