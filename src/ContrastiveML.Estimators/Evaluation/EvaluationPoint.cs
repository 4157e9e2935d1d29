namespace ContrastiveML.Evaluation;

/// <summary>One measurement of an embedding on the held-out images (see <see cref="OnlineEvaluationOptions"/>).</summary>
public sealed record EvaluationPoint
{
    /// <summary>Optimiser steps taken when it was measured (0: the random-init encoder; -1 for the raw-pixel reference).</summary>
    public long Step { get; init; }

    /// <summary>Training seconds elapsed when it was measured.</summary>
    public double TrainingSeconds { get; init; }

    /// <summary>kNN accuracy on the held-out images (0..1); null without labels.</summary>
    public double? KnnAccuracy { get; init; }

    /// <summary>Accuracy of the linear probe (<see cref="RidgeClassifier"/>) on the held-out images; measured at the start and the end only, null otherwise or without a labelled bank.</summary>
    public double? LinearAccuracy { get; init; }

    /// <summary>Wang and Isola's alignment of two augmented views of each held-out image (lower is better; 0 also when collapsed).</summary>
    public double Alignment { get; init; }

    /// <summary>Wang and Isola's uniformity of the held-out embeddings (lower is better; 0 means collapse to one point).</summary>
    public double Uniformity { get; init; }

    /// <summary>Effective rank of the held-out embeddings (falls towards 1 when the encoder collapses).</summary>
    public double EffectiveRank { get; init; }

    /// <summary>What <see cref="TrainingHealth"/> found wrong at this point (below random init, collapse), with what to try; null when nothing.</summary>
    public string? Warning { get; init; }
}
