using System.Text.Json;
using ContrastiveML.Evaluation;
using ContrastiveML.Training;

namespace ContrastiveML.Samples.Pretraining;

/// <summary><c>pretrain --json</c>: the settings as chosen (with the reasons), the training figures and every evaluation.</summary>
internal static class PretrainJson
{
    /// <summary>Writes the report to <paramref name="path"/>.</summary>
    public static void Write(string path, PretrainSettings settings, PretrainChoices choices, ContrastiveEncoderOptions options,
                             TrainingReport report, double fitWallSeconds)
    {
        static object Point(EvaluationPoint p) => new
        {
            step = p.Step, trainingSeconds = p.TrainingSeconds, knnAccuracy = p.KnnAccuracy, linearAccuracy = p.LinearAccuracy,
            alignment = p.Alignment, uniformity = p.Uniformity, effectiveRank = p.EffectiveRank, warning = p.Warning,
        };
        EvaluationReport? e = report.Evaluation;
        var document = new
        {
            command = "pretrain",
            images = settings.Images, idx = settings.Idx, evalImages = settings.EvalImages, method = settings.Method,
            encoder = settings.Encoder.ToString(), minutes = settings.Minutes, maxSteps = settings.MaxSteps, seed = settings.Seed,
            imageShape = options.ImageShape?.ToString(),
            choices = choices.Lines().ToArray(),
            batchSize = options.BatchSize, learningRate = options.LearningRate, pooling = options.EncoderPooling.ToString(), epochs = options.Epochs,
            steps = report.Steps, epochsCompleted = report.EpochsCompleted, trainingRows = report.TrainingRows,
            trainingSeconds = report.TrainingSeconds, fitWallSeconds, imagesPerSecond = report.ImagesPerSecond,
            embeddingDim = report.EmbeddingDim, finalLoss = report.LossCurve.Count == 0 ? (double?)null : report.LossCurve[^1].Loss,
            evaluation = e == null ? null : new
            {
                neighbors = e.Neighbors, knnMetric = e.KnnMetric, heldOutRows = e.HeldOutRows, bankRows = e.BankRows, hasLabels = e.HasLabels,
                seconds = e.Seconds, fractionOfTraining = e.Seconds / Math.Max(1e-9, report.TrainingSeconds),
                pixels = Point(e.Pixels), randomInit = Point(e.RandomInit), final = Point(e.Final),
                points = e.Points.Select(Point).ToArray(),
                verdict = EvaluationSummary.Verdict(e),
            },
        };
        File.WriteAllText(path, JsonSerializer.Serialize(document, new JsonSerializerOptions { WriteIndented = true }));
    }
}
