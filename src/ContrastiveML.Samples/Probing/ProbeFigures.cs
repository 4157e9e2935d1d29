using ContrastiveML.Training;

namespace ContrastiveML.Samples.Probing;

/// <summary>What <c>probe --json</c> records: the run's settings and figures, then the method's own (from its descriptor).</summary>
internal static class ProbeFigures
{
    /// <summary>The figures of one probe run, in the order the JSON lists them.</summary>
    public static Dictionary<string, object?> Of(ProbeSettings settings, ContrastiveEncoderOptions options, bool labelsUsed, TrainingReport report,
                                                 ProbeAccuracies accuracies, long trainRows, long testRows, IEnumerable<LossPoint> lossCurve)
    {
        var figures = new Dictionary<string, object?>
        {
            ["method"] = settings.Method,
            ["commandLine"] = CommandLine(),
            // Metric learning's figures fill these two; every other method records null.
            ["metricLoss"] = null,
            ["miner"] = null,
            ["labelsUsed"] = labelsUsed,
            ["encoder"] = settings.Encoder.ToString(),
            ["pooling"] = settings.Pooling.ToString(),
            ["epochs"] = report.EpochsCompleted,
            ["epochsRequested"] = settings.Epochs,
            ["budgetMinutes"] = settings.Minutes,
            ["stoppedByTimeBudget"] = report.StoppedByTimeBudget,
            ["batchSize"] = report.BatchSize,
            ["steps"] = report.Steps,
            ["pretrainSeconds"] = Math.Round(report.TrainingSeconds, 1),
            ["trainImagesPerSecond"] = Math.Round(report.ImagesPerSecond, 1),
            ["linearProbeAccuracy"] = Math.Round(accuracies.Pretrained, 4),
            ["rawPixelAccuracy"] = Math.Round(accuracies.RawPixels, 4),
            ["randomEncoderAccuracy"] = Math.Round(accuracies.RandomEncoder, 4),
            ["baselinesFrom"] = settings.BaselinesFrom,
            ["width"] = settings.Width,
            ["embeddingDim"] = report.EmbeddingDim,
            ["device"] = report.Device,
            ["onnxParityMaxAbsDifference"] = report.OnnxParityMaxAbsDifference,
            ["finalEpochLoss"] = report.EpochLosses.Count > 0 ? report.EpochLosses[^1] : null,
            ["trainRows"] = trainRows,
            ["testRows"] = testRows,
            ["seed"] = settings.Seed,
            ["processorCount"] = Environment.ProcessorCount,
            ["date"] = DateTime.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture),
            ["lossCurve"] = lossCurve.Select(p => new Dictionary<string, double> { ["seconds"] = p.Seconds, ["step"] = p.Step, ["loss"] = p.Loss }).ToList(),
        };
        foreach ((string key, object? value) in settings.Descriptor.CommandLine.Figures(options, settings.MethodOptions, trainRows)) figures[key] = value;
        return figures;
    }

    /// <summary>The command as run, e.g. <c>contrastiveml probe --method simclr --minutes 15</c> (arguments with spaces quoted).</summary>
    internal static string CommandLine()
    {
        IEnumerable<string> arguments = Environment.GetCommandLineArgs().Skip(1).SkipWhile(a => a != "probe");
        return "contrastiveml " + string.Join(' ', arguments.Select(a => a.Contains(' ', StringComparison.Ordinal) ? $"\"{a}\"" : a));
    }
}

