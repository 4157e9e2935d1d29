using ContrastiveML.Evaluation;
using ContrastiveML.Training;

namespace ContrastiveML.Samples;

/// <summary>
/// Shows pretraining progress: on a terminal one line rewritten in place (carriage return), when the output is
/// redirected (a log file, CI) one plain line per report, since carriage returns make logs unreadable.
/// <see cref="Report"/> is called synchronously on the training thread (unlike <see cref="Progress{T}"/>, which posts
/// to the thread pool and can reorder lines).
/// </summary>
internal sealed class ProgressDisplay : IProgress<TrainingProgress>
{
    private readonly TextWriter _output;
    private readonly object _gate = new();
    private int _liveLength;
    private string? _lastWarning;

    /// <summary>Writes to <paramref name="output"/>; <paramref name="live"/> selects the in-place line.</summary>
    public ProgressDisplay(TextWriter output, bool live)
    {
        _output = output;
        Live = live;
    }

    /// <summary>For the console: live when standard output is a terminal.</summary>
    public static ProgressDisplay ForConsole(TextWriter output) =>
        new(output, live: ReferenceEquals(output, Console.Out) && !Console.IsOutputRedirected);

    /// <summary>True when the display rewrites one line in place.</summary>
    public bool Live { get; }

    /// <summary>Seconds between reports that suit this display: often for the live line, sparsely for logs.</summary>
    public double IntervalSeconds => Live ? 1 : 10;

    /// <summary>
    /// The live line: epoch, step, loss, throughput and time left, and with evaluation the latest kNN accuracy beside the
    /// random init's and the pixels' (or the effective rank without labels), and "!" when there is a warning.
    /// </summary>
    public static string Format(TrainingProgress p) =>
        $"{p.Method} epoch {p.Epoch}/{p.Epochs} step {p.Step}/{p.TotalSteps} loss {p.Loss:F4} " +
        $"{p.ImagesPerSecond:F0} img/s elapsed {p.Elapsed:hh\\:mm\\:ss} left {p.Remaining:hh\\:mm\\:ss}" + FormatEvaluation(p.Evaluation);

    private static string FormatEvaluation(EvaluationReport? e)
    {
        if (e == null) return "";
        string figures = e.Final.KnnAccuracy is double knn
            ? $" | kNN {OnlineEvaluationText.Percent(knn)} (init {OnlineEvaluationText.Percent(e.RandomInit.KnnAccuracy!.Value)}, pixels {OnlineEvaluationText.Percent(e.Pixels.KnnAccuracy!.Value)})"
            : string.Create(System.Globalization.CultureInfo.InvariantCulture, $" | erank {e.Final.EffectiveRank:F1} (init {e.RandomInit.EffectiveRank:F1})");
        return e.Final.Warning == null ? figures : figures + " !";
    }

    /// <inheritdoc />
    public void Report(TrainingProgress value)
    {
        lock (_gate)
        {
            if (!Live)
            {
                // The full report (learning rate and method figures too): a log has room for it.
                _output.WriteLine(value.ToString());
                return;
            }
            // A warning must stay on screen: it gets a line of its own above the live line, once per new wording.
            if (value.Evaluation?.Final.Warning is string warning && warning != _lastWarning)
            {
                _output.Write("\r" + new string(' ', _liveLength) + "\r");
                _output.WriteLine($"step {value.Step}: {warning}");
                _lastWarning = warning;
                _liveLength = 0;
            }
            string line = Format(value);
            // Pad over the previous line's tail: the new line may be shorter.
            _output.Write("\r" + line.PadRight(_liveLength));
            _liveLength = line.Length;
            _output.Flush();
        }
    }

    /// <summary>Ends the live line so that later output starts on a fresh line; nothing when redirected.</summary>
    public void Finish()
    {
        lock (_gate)
        {
            if (Live && _liveLength > 0) _output.WriteLine();
            _liveLength = 0;
        }
    }
}
