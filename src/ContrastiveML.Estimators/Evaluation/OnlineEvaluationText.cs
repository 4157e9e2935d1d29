using System.Globalization;

namespace ContrastiveML.Evaluation;

/// <summary>How evaluation figures read in log lines, progress reports and the command line's output (one wording everywhere).</summary>
public static class OnlineEvaluationText
{
    /// <summary>Every figure of one evaluation, e.g. "kNN 81.2%, linear 84.0%, alignment 0.52, uniformity -2.31, effective rank 45.2".</summary>
    public static string Describe(EvaluationPoint point)
    {
        var parts = new List<string>();
        if (point.KnnAccuracy is double knn) parts.Add($"kNN {Percent(knn)}");
        if (point.LinearAccuracy is double linear) parts.Add($"linear {Percent(linear)}");
        parts.Add(string.Create(CultureInfo.InvariantCulture, $"alignment {point.Alignment:F3}, uniformity {point.Uniformity:F3}, effective rank {point.EffectiveRank:F1}"));
        return string.Join(", ", parts);
    }

    /// <summary>
    /// The progress report's evaluation part: the latest kNN accuracy against both references (or the label-free figures
    /// and that accuracy needs labels), and the warning when there is one.
    /// </summary>
    public static string Status(EvaluationReport report)
    {
        EvaluationPoint latest = report.Final;
        string figures = latest.KnnAccuracy is double knn
            ? $"eval@{latest.Step}: kNN(k={report.Neighbors}, cosine) {Percent(knn)} [pixels {Percent(report.Pixels.KnnAccuracy!.Value)}, random init {Percent(report.RandomInit.KnnAccuracy!.Value)}]" +
              string.Create(CultureInfo.InvariantCulture, $" erank {latest.EffectiveRank:F1}")
            : string.Create(CultureInfo.InvariantCulture,
                $"eval@{latest.Step}: alignment {latest.Alignment:F3} uniformity {latest.Uniformity:F3} erank {latest.EffectiveRank:F1} [random init {report.RandomInit.EffectiveRank:F1}] (accuracy needs labels)");
        return latest.Warning is string warning ? figures + " " + warning : figures;
    }

    /// <summary>An accuracy as a percentage with one decimal, invariant culture.</summary>
    public static string Percent(double accuracy) => (accuracy * 100).ToString("F1", CultureInfo.InvariantCulture) + "%";
}
