using ContrastiveML.Optimization;
using ContrastiveML.Training;

namespace ContrastiveML.Tests;

/// <summary>
/// <see cref="TrainingClock"/> on a fake clock: the schedule goes by steps, or by time when a budget will end training
/// first; the budget is spent at its limit, counting the time a resumed Fit had already trained; the remaining time is
/// the steps' pace or the budget's rest, whichever is less; and the step count comes from rows, batches and epochs.
/// </summary>
public class TrainingClockTests
{
    private static readonly WarmupCosineSchedule Schedule = new(baseLearningRate: 1.0, warmupSteps: 100, totalSteps: 1000);

    private TimeSpan _now;

    private TrainingClock Clock(TimeSpan? budget, int? maxSteps = null) =>
        new(totalSteps: 1000, Schedule, maxSteps, budget, () => _now);

    [Fact]
    public void WithoutABudgetTheScheduleFollowsTheSteps()
    {
        TrainingClock clock = Clock(budget: null);
        _now = TimeSpan.FromHours(5);

        Assert.Equal(Schedule.LearningRateAt(10), clock.LearningRateAfter(10));
        Assert.Equal(Schedule.LearningRateAt(600), clock.LearningRateAfter(600));
        Assert.False(clock.BudgetSpent);
    }

    [Fact]
    public void UnderABudgetTheScheduleFollowsTheClockWhenTimeIsAheadOfTheSteps()
    {
        TrainingClock clock = Clock(TimeSpan.FromMinutes(10));

        _now = TimeSpan.Zero;
        Assert.Equal(Schedule.LearningRateAt(10), clock.LearningRateAfter(10));
        // Half the budget gone after 10 of 1,000 steps: the schedule is half-way, past its warm-up.
        _now = TimeSpan.FromMinutes(5);
        Assert.Equal(Schedule.LearningRateAt(500), clock.LearningRateAfter(10));
        // Steps ahead of the time: the steps lead.
        Assert.Equal(Schedule.LearningRateAt(800), clock.LearningRateAfter(800));
        // The budget's end is the schedule's end, and no further.
        _now = TimeSpan.FromMinutes(12);
        Assert.Equal(Schedule.LearningRateAt(1000), clock.LearningRateAfter(10));
    }

    [Fact]
    public void TheBudgetIsSpentAtItsLimitCountingTheTimeBeforeAResume()
    {
        TrainingClock clock = Clock(TimeSpan.FromMinutes(10));
        _now = TimeSpan.FromMinutes(4);
        Assert.False(clock.BudgetSpent);

        clock.ResumeAfter(TimeSpan.FromMinutes(5));
        Assert.Equal(TimeSpan.FromMinutes(9), clock.Elapsed);
        Assert.False(clock.BudgetSpent);
        // A resumed Fit's schedule is as far along as the whole run's time.
        Assert.Equal(Schedule.LearningRateAt(900), clock.LearningRateAfter(10));

        _now = TimeSpan.FromMinutes(5);
        Assert.True(clock.BudgetSpent);
    }

    [Fact]
    public void TheRemainingTimeIsTheStepsPaceOrTheBudgetsRestWhicheverIsLess()
    {
        // 100 of 1,000 steps in 60 s: 900 steps at 0.6 s are 540 s more.
        Assert.Equal(TimeSpan.FromSeconds(540), Clock(budget: null).Remaining(100, TimeSpan.FromSeconds(60)));
        Assert.Equal(TimeSpan.FromSeconds(540), Clock(TimeSpan.FromHours(1)).Remaining(100, TimeSpan.FromSeconds(60)));
        Assert.Equal(TimeSpan.FromSeconds(240), Clock(TimeSpan.FromMinutes(5)).Remaining(100, TimeSpan.FromSeconds(60)));
        Assert.Equal(TimeSpan.Zero, Clock(TimeSpan.FromMinutes(5)).Remaining(100, TimeSpan.FromMinutes(6)));
    }

    [Fact]
    public void TheStepLimitStopsAtItsCountAndAZeroLimitAllowsNoStep()
    {
        Assert.True(Clock(null, maxSteps: 0).StepLimitReached(0));
        Assert.False(Clock(null, maxSteps: 3).StepLimitReached(2));
        Assert.True(Clock(null, maxSteps: 3).StepLimitReached(3));
        Assert.False(Clock(null).StepLimitReached(long.MaxValue - 1));
    }

    [Fact]
    public void TheScheduleIsLaidOverTheEpochsStepsOrTheStepLimit()
    {
        SimClrOptions options = TinyFits.Options(maxSteps: 3);
        options.MaxSteps = null;
        options.Epochs = 3;
        options.MaxMinutes = 2;
        // 100 rows in batches of 16: 6 full batches and a last one of 4 (a last batch of 1 would be dropped).
        TrainingClock clock = TrainingClock.Start(options, rows: 100, batchSize: 16);
        Assert.Equal(21, clock.TotalSteps);
        Assert.Equal(TimeSpan.FromMinutes(2), clock.Budget);
        Assert.Equal(18, TrainingClock.Start(options, rows: 97, batchSize: 16).TotalSteps);

        options.MaxSteps = 10;
        Assert.Equal(10, TrainingClock.Start(options, rows: 100, batchSize: 16).TotalSteps);
    }
}
