using System.Diagnostics;
using ContrastiveML.Optimization;

namespace ContrastiveML.Training;

/// <summary>
/// How far a Fit has come and how much it has left, by steps and by time: the step count the warm-up + cosine schedule is
/// laid over, the step limit, the time budget, the learning rate of the next step, and the remaining-time estimate of a
/// progress report. The training time includes what a resumed Fit's checkpoint had already spent.
/// </summary>
/// <remarks>
/// Under a time budget the schedule follows whichever of steps and time is further along: a budget that ends training
/// before the planned steps would otherwise stop it in warm-up or at the peak rate, never reaching the decay.
/// </remarks>
internal sealed class TrainingClock
{
    private readonly WarmupCosineSchedule _schedule;
    private readonly int? _maxSteps;
    private readonly Func<TimeSpan> _sinceStart;
    private TimeSpan _before;

    /// <param name="totalSteps">Steps the schedule is laid over (at least 1).</param>
    /// <param name="schedule">The learning-rate schedule over <paramref name="totalSteps"/>.</param>
    /// <param name="maxSteps">The step limit; null for none.</param>
    /// <param name="budget">The training-time budget; null for none.</param>
    /// <param name="sinceStart">Time since this Fit started training (a running stopwatch in Fit; a fake in tests).</param>
    public TrainingClock(long totalSteps, WarmupCosineSchedule schedule, int? maxSteps, TimeSpan? budget, Func<TimeSpan> sinceStart)
    {
        TotalSteps = totalSteps;
        _schedule = schedule;
        _maxSteps = maxSteps;
        Budget = budget;
        _sinceStart = sinceStart;
    }

    /// <summary>
    /// The clock of a Fit with <paramref name="options"/> over <paramref name="rows"/> rows in batches of
    /// <paramref name="batchSize"/>, started now: an epoch's steps count a last partial batch of two or more images.
    /// </summary>
    public static TrainingClock Start(ContrastiveEncoderOptions options, long rows, int batchSize)
    {
        long stepsPerEpoch = Math.Max(1, rows / batchSize + (rows % batchSize >= 2 ? 1 : 0));
        long totalSteps = stepsPerEpoch * options.Epochs;
        if (options.MaxSteps is int maxSteps) totalSteps = Math.Min(totalSteps, Math.Max(1, maxSteps));
        var schedule = new WarmupCosineSchedule(options.LearningRate, (int)Math.Round(options.WarmupFraction * totalSteps), (int)totalSteps);
        TimeSpan? budget = options.MaxMinutes is double minutes ? TimeSpan.FromMinutes(minutes) : null;
        var stopwatch = Stopwatch.StartNew();
        return new TrainingClock(totalSteps, schedule, options.MaxSteps, budget, () => stopwatch.Elapsed);
    }

    /// <summary>Steps the schedule is laid over: the epochs' steps, or the step limit when lower.</summary>
    public long TotalSteps { get; }

    /// <summary>The training-time budget; null when there is none.</summary>
    public TimeSpan? Budget { get; }

    /// <summary>Training time so far, the time before a resume included.</summary>
    public TimeSpan Elapsed => _sinceStart() + _before;

    /// <summary>Counts <paramref name="trainedBefore"/>, the training time a checkpoint recorded, as already spent.</summary>
    public void ResumeAfter(TimeSpan trainedBefore) => _before = trainedBefore;

    /// <summary>Whether the step limit forbids a step after <paramref name="step"/> steps (always, for a limit of 0).</summary>
    public bool StepLimitReached(long step) => step >= _maxSteps;

    /// <summary>Whether the time budget is spent.</summary>
    public bool BudgetSpent => Budget is TimeSpan limit && Elapsed >= limit;

    /// <summary>The learning rate of the step after <paramref name="step"/> finished steps.</summary>
    public double LearningRateAfter(long step)
    {
        double progress = (double)step / TotalSteps;
        if (Budget is TimeSpan budget) progress = Math.Max(progress, Elapsed.TotalSeconds / budget.TotalSeconds);
        return _schedule.LearningRateAt((int)Math.Min(TotalSteps, Math.Round(progress * TotalSteps)));
    }

    /// <summary>
    /// The training time still to come after <paramref name="step"/> steps in <paramref name="elapsed"/>: the remaining
    /// steps at the pace so far, or the budget's rest when that ends training first.
    /// </summary>
    public TimeSpan Remaining(long step, TimeSpan elapsed)
    {
        double stepsLeftSeconds = step > 0 ? (TotalSteps - step) * elapsed.TotalSeconds / step : 0;
        double remaining = Budget is TimeSpan b ? Math.Min(stepsLeftSeconds, Math.Max(0, (b - elapsed).TotalSeconds)) : stepsLeftSeconds;
        return TimeSpan.FromSeconds(Math.Max(0, remaining));
    }
}
