using ContrastiveML.Training;

namespace ContrastiveML.Samples;

/// <summary>
/// Passes every progress report on and keeps (seconds of training, step, loss) from each, so that a run's JSON can
/// carry its loss curve against time (the training report's own curve is against steps) for the accuracy report's
/// chart of all methods on one time axis.
/// </summary>
internal sealed class LossCurveRecorder : IProgress<TrainingProgress>
{
    private readonly IProgress<TrainingProgress>? _next;
    private readonly List<LossPoint> _points = new();

    /// <summary>Records, then forwards to <paramref name="next"/> (null for none).</summary>
    public LossCurveRecorder(IProgress<TrainingProgress>? next) => _next = next;

    /// <summary>The points so far, in report order.</summary>
    public IReadOnlyList<LossPoint> Points
    {
        get
        {
            lock (_points) return _points.ToArray();
        }
    }

    /// <inheritdoc />
    public void Report(TrainingProgress value)
    {
        lock (_points) _points.Add(new LossPoint(Math.Round(value.Elapsed.TotalSeconds, 2), value.Step, value.Loss));
        _next?.Report(value);
    }
}

/// <summary>One loss report: seconds of training, optimiser steps taken and the mean loss since the previous report.</summary>
internal sealed record LossPoint(double Seconds, long Step, double Loss);
