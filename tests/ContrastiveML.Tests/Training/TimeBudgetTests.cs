using ContrastiveML.Data;
using ContrastiveML.Encoders;
using ContrastiveML.Training;
using Microsoft.ML;
using static TorchSharp.torch;

namespace ContrastiveML.Tests;

/// <summary>
/// <see cref="ContrastiveEncoderOptions.MaxMinutes"/>: the trainer stops at the budget, not at the epochs, and lays the
/// warm-up + cosine schedule over the budget's time instead of over steps it will never reach.
/// </summary>
/// <remarks>
/// No wall-clock limit is asserted. Each step sleeps 250 ms, so a 6 s budget lets at most 24 steps start, while 1,000
/// epochs of 8 steps would be 8,000; and the schedule, laid over those 8,000 steps, would still be in its 400-step warm-up
/// (below 1/16 of the peak rate) after 24 steps, whereas laid over time it peaks and decays within the budget. The sleep
/// dominates a step even on a loaded machine, so at least 4 steps spread over the budget.
/// </remarks>
public class TimeBudgetTests
{
    [Fact]
    public void ABudgetEndsTrainingAndTheScheduleFollowsTheClock()
    {
        var ml = new MLContext(1);
        IDataView data = TinyFits.Data(ml, 64);
        var reports = new List<TrainingProgress>();
        SimClrOptions options = TinyFits.Options(batchSize: 8);
        options.MaxSteps = null;
        options.MaxMinutes = 0.1;
        options.LearningRate = 0.01;
        options.ProgressIntervalSeconds = 1e-6; // a report after every step
        options.Progress = new SynchronousProgress(reports.Add);
        var log = new List<string>();
        PixelStatistics statistics = PixelStatistics.Scan(data, "Pixels", TinyFits.Shape, options.PixelScale);
        manual_seed(1);
        using var method = new ScriptedMethod(EncoderFactory.Create(EncoderKind.CompactCnn, TinyFits.Shape, 4))
        {
            OnStep = _ => Thread.Sleep(250),
        };
        var trainer = new ContrastiveTrainer(options, log.Add, () => { });

        TrainingReport report = trainer.Train(method, new PixelBatchReader(data, "Pixels", 64, 100), statistics,
                          InputNormalization.For(options.PixelScale, statistics, readsUnitPixels: false), 8, CPU, seed: 1, "CompactCnn");

        Assert.True(report.StoppedByTimeBudget);
        Assert.InRange(report.Steps, 4, 24);
        Assert.Equal(report.Steps, method.CompletedSteps);
        Assert.Contains(log, line => line.Contains($"the time budget of 0.1 minutes ended training after {report.Steps} steps", StringComparison.Ordinal));

        double[] rates = reports.Select(r => r.LearningRate).ToArray();
        Assert.True(rates.Max() >= 0.5 * options.LearningRate, $"the warm-up ended within the budget: peak {rates.Max()}");
        Assert.True(rates[^1] < rates.Max(), $"the rate decays after its peak: last {rates[^1]}, peak {rates.Max()}");
    }
}
