namespace ContrastiveML.Training;

/// <summary>
/// Thrown by Fit when cancellation (<see cref="ContrastiveEncoderOptions.CancellationToken"/>, or ML.NET's cancellation
/// of the MLContext) stops training between two steps. It says where training stopped and, when
/// <see cref="ContrastiveEncoderOptions.CheckpointDirectory"/> is set, which checkpoint holds that state, so a caller
/// (the command line's Ctrl+C handling, a service's shutdown) can tell the user how to resume. Nothing is exported.
/// </summary>
public sealed class TrainingCanceledException : OperationCanceledException
{
    /// <summary>Creates the exception for a stop after <paramref name="step"/> of <paramref name="totalSteps"/>.</summary>
    /// <param name="method">The method's display name, e.g. "SimCLR".</param>
    /// <param name="step">Optimiser steps finished (the resumed part of the run included).</param>
    /// <param name="totalSteps">Steps the schedule is laid over.</param>
    /// <param name="checkpointPath">The checkpoint holding the state after <paramref name="step"/>; null when none was written.</param>
    /// <param name="inner">The cancellation that stopped training.</param>
    public TrainingCanceledException(string method, long step, long totalSteps, string? checkpointPath, OperationCanceledException inner)
        : base(Describe(method, step, totalSteps, checkpointPath), inner, (inner ?? throw new ArgumentNullException(nameof(inner))).CancellationToken)
    {
        Step = step;
        TotalSteps = totalSteps;
        CheckpointPath = checkpointPath;
    }

    /// <summary>Optimiser steps finished before the stop.</summary>
    public long Step { get; }

    /// <summary>Steps the schedule is laid over (an estimate when a time budget applies).</summary>
    public long TotalSteps { get; }

    /// <summary>
    /// The checkpoint file that holds the state after <see cref="Step"/> (a Fit with the same options and checkpoint
    /// directory resumes from it); null when no checkpoint directory is set or no step had been trained.
    /// </summary>
    public string? CheckpointPath { get; }

    private static string Describe(string method, long step, long totalSteps, string? checkpointPath) => checkpointPath != null
        ? $"{method} training was canceled after step {step} of {totalSteps}; the checkpoint '{checkpointPath}' holds that step. " +
          "Fit again with the same options and CheckpointDirectory to resume from it."
        : $"{method} training was canceled after step {step} of {totalSteps}; nothing was exported or saved " +
          "(set CheckpointDirectory to make training resumable).";
}
