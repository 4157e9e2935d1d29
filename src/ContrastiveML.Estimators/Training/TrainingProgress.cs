namespace ContrastiveML.Training;

/// <summary>A snapshot of pretraining, reported through <see cref="ContrastiveEncoderOptions.Progress"/> and the MLContext log.</summary>
/// <param name="Method">The method being trained, e.g. "SimCLR".</param>
/// <param name="Epoch">Current epoch, 1-based.</param>
/// <param name="Epochs">Epochs requested.</param>
/// <param name="Step">Optimiser steps taken so far.</param>
/// <param name="TotalSteps">Steps the schedule is laid over (an estimate when a time budget applies).</param>
/// <param name="Loss">Mean training loss since the previous report.</param>
/// <param name="LearningRate">Current learning rate.</param>
/// <param name="ImagesPerSecond">Training throughput since the previous report (images, not views).</param>
/// <param name="Elapsed">Time spent training.</param>
/// <param name="Remaining">Estimated time left.</param>
/// <param name="Extra">Method-specific figures (e.g. the fraction of active triplets), empty when none.</param>
/// <param name="Evaluation">The evaluations so far (the latest is <see cref="Evaluation.EvaluationReport.Final"/>), with both
/// references; null without <see cref="ContrastiveEncoderOptions.Evaluation"/>.</param>
public sealed record TrainingProgress(
    string Method, int Epoch, int Epochs, long Step, long TotalSteps, double Loss, double LearningRate,
    double ImagesPerSecond, TimeSpan Elapsed, TimeSpan Remaining, IReadOnlyDictionary<string, double> Extra,
    Evaluation.EvaluationReport? Evaluation = null)
{
    /// <inheritdoc />
    public override string ToString()
    {
        string extra = Extra.Count == 0 ? "" : " " + string.Join(" ", Extra.Select(kv => $"{kv.Key}={kv.Value:G4}"));
        return $"{Method} epoch {Epoch}/{Epochs} step {Step}/{TotalSteps} loss {Loss:F4} lr {LearningRate:G3} " +
               $"{ImagesPerSecond:F0} img/s elapsed {Elapsed:hh\\:mm\\:ss} left {Remaining:hh\\:mm\\:ss}{extra}" +
               (Evaluation is null ? "" : " | " + ContrastiveML.Evaluation.OnlineEvaluationText.Status(Evaluation));
    }
}
