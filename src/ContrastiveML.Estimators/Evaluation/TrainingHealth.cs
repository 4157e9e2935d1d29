namespace ContrastiveML.Evaluation;

/// <summary>
/// The early warning: reads an evaluation against the random-init one and says when pretraining is hurting (kNN
/// accuracy below the untrained encoder's by more than the measurement's noise) or the embedding is collapsing
/// (effective rank down to a quarter of the random init's, or below 2), with what to try.
/// </summary>
public static class TrainingHealth
{
    /// <summary>The effective rank, as a fraction of the random init's, below which the embedding counts as collapsing.</summary>
    public const double CollapseRankFraction = 0.25;

    /// <summary>
    /// The margin kNN accuracy must fall below the random init's before it counts: one standard error of an accuracy
    /// measured on <paramref name="rows"/> images (sqrt(p(1-p)/n)), and at least one point, so that a few images' worth
    /// of noise on a small held-out set does not raise an alarm.
    /// </summary>
    public static double Margin(double accuracy, int rows) =>
        Math.Max(0.01, Math.Sqrt(Math.Max(accuracy * (1 - accuracy), 0) / Math.Max(1, rows)));

    /// <summary>The warning for <paramref name="current"/> against <paramref name="randomInit"/>, or null when healthy.</summary>
    /// <param name="randomInit">The evaluation of the untrained encoder.</param>
    /// <param name="current">The evaluation to judge.</param>
    /// <param name="rows">Held-out images the accuracies were measured on.</param>
    public static string? Check(EvaluationPoint randomInit, EvaluationPoint current, int rows)
    {
        var problems = new List<string>();
        if (current.EffectiveRank < 2 || current.EffectiveRank < CollapseRankFraction * randomInit.EffectiveRank)
        {
            problems.Add($"the embedding is collapsing (effective rank {current.EffectiveRank:F1}, random init {randomInit.EffectiveRank:F1}, " +
                         $"uniformity {current.Uniformity:F2}): try a lower learning rate (--lr), a higher temperature, or a larger batch");
        }
        if (current.KnnAccuracy is double now && randomInit.KnnAccuracy is double init && now < init - Margin(init, rows))
        {
            problems.Add($"pretraining is making the features worse than the untrained encoder (kNN {OnlineEvaluationText.Percent(now)} against {OnlineEvaluationText.Percent(init)} at random init): " +
                         "try weaker augmentation (a larger minimum crop scale, less colour jitter), the images' own size and channels, " +
                         "grid pooling (--pooling Grid3x3), or a lower learning rate");
        }
        return problems.Count == 0 ? null : "WARNING: " + string.Join("; ", problems) + ".";
    }
}
