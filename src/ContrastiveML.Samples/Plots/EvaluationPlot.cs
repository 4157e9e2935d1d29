using ContrastiveML.Evaluation;
using ContrastiveML.Training;

namespace ContrastiveML.Samples.Plots;

/// <summary>
/// <c>evaluation.png</c>: held-out kNN accuracy against optimiser steps, with the raw-pixel and random-init references as
/// horizontal lines; without labels, the effective rank against steps (with the random init's as the reference).
/// </summary>
internal static class EvaluationPlot
{
    /// <summary>File name of the picture.</summary>
    public const string FileName = "evaluation.png";

    /// <summary>Writes the picture for <paramref name="report"/>'s evaluation (which must be there); returns its path.</summary>
    public static string Write(TrainingReport report, string directory)
    {
        EvaluationReport evaluation = report.Evaluation ?? throw new ArgumentException("The report has no evaluation.", nameof(report));
        Directory.CreateDirectory(directory);
        string path = Path.Combine(directory, FileName);
        bool accuracy = evaluation.HasLabels;
        Func<EvaluationPoint, double> value = accuracy ? p => p.KnnAccuracy!.Value * 100 : p => p.EffectiveRank;
        var points = evaluation.Points.Select(p => ((double)p.Step, value(p))).ToList();
        var references = accuracy ? new[] { value(evaluation.Pixels), value(evaluation.RandomInit) } : new[] { value(evaluation.RandomInit) };
        double yMin = Math.Min(points.Min(p => p.Item2), references.Min()), yMax = Math.Max(points.Max(p => p.Item2), references.Max());
        double pad = Math.Max(0.5, (yMax - yMin) * 0.1);
        double xMax = Math.Max(1, points.Max(p => p.Item1));
        string title = accuracy
            ? $"{report.Method} held-out kNN accuracy (k = {evaluation.Neighbors}, cosine; {evaluation.HeldOutRows} images)"
            : $"{report.Method} effective rank of held-out embeddings ({evaluation.HeldOutRows} images; accuracy needs labels)";
        using var chart = new PngChart(800, 500, 0, xMax, yMin - pad, yMax + pad, title, "optimiser step", accuracy ? "kNN accuracy (%)" : "effective rank", legendWidth: 110);
        chart.Line(points, PngChart.Palette[0]);
        chart.Dots(points, PngChart.Palette[0]);
        chart.AddLegend(report.Encoder, PngChart.Palette[0]);
        if (accuracy)
        {
            chart.HorizontalLine(value(evaluation.Pixels), PngChart.Palette[1], "raw pixels");
            chart.AddLegend("raw pixels", PngChart.Palette[1]);
        }
        chart.HorizontalLine(value(evaluation.RandomInit), PngChart.Palette[2], "random init");
        chart.AddLegend("random init", PngChart.Palette[2]);
        chart.SavePng(path);
        return path;
    }
}
