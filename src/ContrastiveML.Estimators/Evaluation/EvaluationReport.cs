namespace ContrastiveML.Evaluation;

/// <summary>Every evaluation of one Fit, with the two references measured on the same held-out images.</summary>
public sealed record EvaluationReport
{
    /// <summary>Neighbours of the kNN classifier.</summary>
    public int Neighbors { get; init; }

    /// <summary>How kNN compares embeddings and decides, in words (e.g. "cosine similarity, majority vote").</summary>
    public string KnnMetric { get; init; } = "";

    /// <summary>Held-out images evaluated on.</summary>
    public int HeldOutRows { get; init; }

    /// <summary>Labelled training rows in the kNN bank and the linear probe's training set; 0 when kNN is leave-one-out on the held-out rows, or without labels.</summary>
    public int BankRows { get; init; }

    /// <summary>True when the held-out images have labels (accuracy is reported).</summary>
    public bool HasLabels { get; init; }

    /// <summary>The same measures on the raw pixels (scaled to [0, 1], flattened): the first reference.</summary>
    public required EvaluationPoint Pixels { get; init; }

    /// <summary>Evaluations in step order: the first is the random-init encoder (the second reference), the last the final encoder.</summary>
    public IReadOnlyList<EvaluationPoint> Points { get; init; } = Array.Empty<EvaluationPoint>();

    /// <summary>The random-init encoder's evaluation.</summary>
    public EvaluationPoint RandomInit => Points[0];

    /// <summary>The final encoder's evaluation.</summary>
    public EvaluationPoint Final => Points[^1];

    /// <summary>Seconds spent evaluating (every point and the references), within <see cref="Training.TrainingReport.TrainingSeconds"/>.</summary>
    public double Seconds { get; init; }
}
