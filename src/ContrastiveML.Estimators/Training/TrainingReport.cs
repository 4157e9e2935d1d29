namespace ContrastiveML.Training;

/// <summary>What a Fit did: where it ran, how long, how fast, the loss curve and the export check.</summary>
public sealed record TrainingReport
{
    /// <summary>The method, e.g. "SimCLR".</summary>
    public required string Method { get; init; }

    /// <summary>The encoder, e.g. "CompactCnn".</summary>
    public required string Encoder { get; init; }

    /// <summary>"cpu" or "cuda".</summary>
    public required string Device { get; init; }

    /// <summary>Rows in the training data.</summary>
    public long TrainingRows { get; init; }

    /// <summary>Batch size used (after reduction to the data size).</summary>
    public int BatchSize { get; init; }

    /// <summary>Epochs started (the last may be partial when the time budget ended it).</summary>
    public int EpochsCompleted { get; init; }

    /// <summary>Optimiser steps taken.</summary>
    public long Steps { get; init; }

    /// <summary>Images the encoder trained on (each as two or more views).</summary>
    public long ImagesSeen { get; init; }

    /// <summary>Wall-clock seconds spent in the training loop (of every Fit of the run, when it resumed from a checkpoint).</summary>
    public double TrainingSeconds { get; init; }

    /// <summary>Training throughput: <see cref="ImagesSeen"/> / <see cref="TrainingSeconds"/>.</summary>
    public double ImagesPerSecond => TrainingSeconds > 0 ? ImagesSeen / TrainingSeconds : 0;

    /// <summary>True when <see cref="ContrastiveEncoderOptions.MaxMinutes"/> ended training before the requested epochs.</summary>
    public bool StoppedByTimeBudget { get; init; }

    /// <summary>
    /// The step of the checkpoint this Fit resumed from (see <see cref="ContrastiveEncoderOptions.CheckpointDirectory"/>);
    /// null when it trained from the start. The other figures cover the whole run, the part before the resume included.
    /// </summary>
    public long? ResumedFromStep { get; init; }

    /// <summary>Mean loss per epoch, in order.</summary>
    public IReadOnlyList<double> EpochLosses { get; init; } = Array.Empty<double>();

    /// <summary>(step, loss) samples of the training loss, one per progress interval.</summary>
    public IReadOnlyList<(long Step, double Loss)> LossCurve { get; init; } = Array.Empty<(long, double)>();

    /// <summary>Embedding dimension of the exported encoder.</summary>
    public int EmbeddingDim { get; init; }

    /// <summary>
    /// The evaluations on held-out images (random init, during training, final) and the raw-pixel reference; null
    /// without <see cref="ContrastiveEncoderOptions.Evaluation"/>.
    /// </summary>
    public Evaluation.EvaluationReport? Evaluation { get; init; }

    /// <summary>Largest absolute difference between ONNX Runtime's and TorchSharp's embeddings of the probe batch.</summary>
    public double OnnxParityMaxAbsDifference { get; init; }
}
