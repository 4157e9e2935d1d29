namespace ContrastiveML.Training;

/// <summary>
/// Where a Fit stands between two steps: steps and images so far, the epoch and batch of the last step, and the loss
/// history. A checkpoint records it; a resumed Fit starts from it, skipping the batches of its epoch already trained.
/// </summary>
internal sealed class TrainingPosition
{
    /// <summary>Optimiser steps finished.</summary>
    public long Step { get; private set; }

    /// <summary>The 1-based epoch of the last finished step (1 before the first step).</summary>
    public int Epoch { get; private set; } = 1;

    /// <summary>Batches of <see cref="Epoch"/> trained (0 before the first step).</summary>
    public int BatchesInEpoch { get; private set; }

    /// <summary>Images trained on, over all steps.</summary>
    public long ImagesSeen { get; private set; }

    /// <summary>Losses per step, report interval and epoch.</summary>
    public LossHistory History { get; private init; } = new();

    /// <summary>The position a checkpoint recorded.</summary>
    public static TrainingPosition Of(TrainingCheckpoint checkpoint) => new()
    {
        Step = checkpoint.Step,
        Epoch = checkpoint.Epoch,
        BatchesInEpoch = checkpoint.BatchesInEpoch,
        ImagesSeen = checkpoint.ImagesSeen,
        History = checkpoint.History,
    };

    /// <summary>Records a finished step: batch <paramref name="batchInEpoch"/> (1-based) of <paramref name="epoch"/>, its images and loss.</summary>
    public void StepDone(int epoch, int batchInEpoch, int images, double loss)
    {
        Step++;
        Epoch = epoch;
        BatchesInEpoch = batchInEpoch;
        ImagesSeen += images;
        History.AddStep(loss, images);
    }
}
