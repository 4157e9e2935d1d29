using ContrastiveML.Evaluation;
using ContrastiveML.Training;
using ScottPlot;

namespace ContrastiveML.Samples.Plots;

/// <summary>
/// <c>evaluation.png</c>: held-out kNN accuracy against optimiser steps, with the raw-pixel and random-init references as
/// horizontal lines; without labels, the effective rank against steps (with the random init's as the reference).
/// </summary>
internal static class EvaluationPlot
{
    /// <summary>File name of the picture.</summary>
    public const string FileName = "evaluation.png";

    /// <summary>Writes the picture (800 x 500) for <paramref name="report"/>'s evaluation (which must be there); returns its path.</summary>
    public static string Write(TrainingReport report, string directory)
    {
        EvaluationReport evaluation = report.Evaluation ?? throw new ArgumentException("The report has no evaluation.", nameof(report));
        Directory.CreateDirectory(directory);
        bool accuracy = evaluation.HasLabels;
        Func<EvaluationPoint, double> value = accuracy ? p => p.KnnAccuracy!.Value * 100 : p => p.EffectiveRank;
        string title = accuracy
            ? $"{report.Method} held-out kNN accuracy (k = {evaluation.Neighbors}, cosine; {evaluation.HeldOutRows} images)"
            : $"{report.Method} effective rank of held-out embeddings ({evaluation.HeldOutRows} images; accuracy needs labels)";
        Plot plot = ChartStyle.Create(title, "optimiser step", accuracy ? "kNN accuracy (%)" : "effective rank");

        var curve = plot.Add.ScatterLine(evaluation.Points.Select(p => (double)p.Step).ToArray(), evaluation.Points.Select(value).ToArray(), ChartStyle.Palette[0]);
        curve.LineWidth = 2;
        curve.MarkerSize = 6;
        curve.LegendText = report.Encoder;
        if (accuracy) Reference(plot, value(evaluation.Pixels), ChartStyle.Palette[1], "raw pixels");
        Reference(plot, value(evaluation.RandomInit), ChartStyle.Palette[2], "random init");
        // The legend outside the data area, so it hides no point of the curve.
        plot.ShowLegend(Edge.Right);
        return ChartStyle.Save(plot, Path.Combine(directory, FileName), 800, 500);
    }

    private static void Reference(Plot plot, double y, Color color, string name)
    {
        var line = plot.Add.HorizontalLine(y, width: 2, color: color, pattern: LinePattern.Dashed);
        line.LegendText = name;
    }
}
