using ContrastiveML.Evaluation;

namespace ContrastiveML.Samples;

/// <summary>The end-of-run evaluation lines <c>pretrain</c> prints: the final encoder against both references, the cost, and the verdict.</summary>
internal static class EvaluationSummary
{
    /// <summary>The lines for <paramref name="evaluation"/> of a run that trained for <paramref name="trainingSeconds"/>.</summary>
    public static IEnumerable<string> Lines(EvaluationReport evaluation, double trainingSeconds)
    {
        yield return $"evaluation on {evaluation.HeldOutRows} held-out images" +
                     (evaluation.HasLabels ? $" (kNN: k = {evaluation.Neighbors}, {evaluation.KnnMetric}; linear: ridge classifier on standardised features" +
                                            (evaluation.BankRows > 0 ? $", both trained on {evaluation.BankRows} labelled training images)" : ")")
                                          : "; no labels, so no accuracy: give class subfolders or --eval-images DIR with them") + ":";
        yield return $"  raw pixels:   {OnlineEvaluationText.Describe(evaluation.Pixels)}";
        yield return $"  random init:  {OnlineEvaluationText.Describe(evaluation.RandomInit)}";
        yield return $"  pretrained:   {OnlineEvaluationText.Describe(evaluation.Final)}";
        yield return $"  evaluation took {evaluation.Seconds:F1} s ({100 * evaluation.Seconds / Math.Max(1e-9, trainingSeconds):F1}% of {trainingSeconds:F1} s of training), {evaluation.Points.Count} evaluations";
        yield return Verdict(evaluation);
    }

    /// <summary>Whether pretraining helped: the final encoder against both references, and the warning when it collapsed or fell below its random init.</summary>
    public static string Verdict(EvaluationReport evaluation)
    {
        EvaluationPoint final = evaluation.Final, init = evaluation.RandomInit, pixels = evaluation.Pixels;
        if (final.Warning is string warning) return warning;
        if (final.KnnAccuracy is not double knn) return "no collapse seen (effective rank " + final.EffectiveRank.ToString("F1", System.Globalization.CultureInfo.InvariantCulture) + "); accuracy needs labels.";
        double gainInit = knn - init.KnnAccuracy!.Value, gainPixels = knn - pixels.KnnAccuracy!.Value;
        string Points(double d) => (d >= 0 ? "+" : "") + (100 * d).ToString("F1", System.Globalization.CultureInfo.InvariantCulture);
        string verdict = $"kNN {Points(gainInit)} points over the random init, {Points(gainPixels)} over raw pixels";
        if (final.LinearAccuracy is double linear && init.LinearAccuracy is double linearInit && pixels.LinearAccuracy is double linearPixels)
        {
            verdict += $"; linear {Points(linear - linearInit)} over the random init, {Points(linear - linearPixels)} over raw pixels";
        }
        return verdict + (gainPixels < 0 ? ". Below raw pixels: train longer (--minutes) or see docs/methods/simclr.md." : ".");
    }
}
