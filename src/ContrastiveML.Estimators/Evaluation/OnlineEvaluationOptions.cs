using Microsoft.ML;

namespace ContrastiveML.Evaluation;

/// <summary>
/// Evaluation during and after pretraining (the online kNN monitor of solo-learn and lightly): Fit measures the encoder
/// on held-out images at the start (the random-init reference), at intervals, and at the end, beside the same measure
/// on raw pixels, and puts the figures in <see cref="Training.TrainingReport.Evaluation"/>, the progress reports and the log.
/// With labels it reports k-nearest-neighbour accuracy (cosine, majority vote) and, at the end, a linear probe's accuracy;
/// with or without labels, alignment and uniformity (Wang and Isola 2020) and the effective rank (collapse shows there).
/// </summary>
public sealed class OnlineEvaluationOptions
{
    /// <summary>
    /// Held-out rows with the same input column as the training data (and <see cref="LabelColumnName"/> when set); null
    /// to hold out <see cref="HoldOutFraction"/> of the training input instead.
    /// </summary>
    public IDataView? Data;

    /// <summary>
    /// Class labels for accuracy, in the training input (the kNN bank and the linear probe's training rows) and in
    /// <see cref="Data"/> (or the held-out rows); null when there are none: then only the label-free measures are reported.
    /// </summary>
    public string? LabelColumnName;

    /// <summary>
    /// Fraction of the training input held out (never trained on) when <see cref="Data"/> is null, in (0, 0.5]; the held-out
    /// part is capped at <see cref="MaxEvaluationRows"/>. Rows are drawn with ML.NET's TrainTestSplit under the Fit's seed.
    /// </summary>
    public double HoldOutFraction = 0.1;

    /// <summary>Most held-out rows an evaluation embeds (the first ones): the cost of one evaluation grows with it.</summary>
    public int MaxEvaluationRows = 1000;

    /// <summary>
    /// Most training rows in the kNN bank and the linear probe's training set (the first ones read). The bank is
    /// training data, as in solo-learn's monitor; without labels in the training input, kNN is leave-one-out on the
    /// held-out rows.
    /// </summary>
    public int MaxBankRows = 1000;

    /// <summary>
    /// True (the default): when the training input has <see cref="LabelColumnName"/>, its labelled rows are the kNN bank
    /// and the linear probe's training set. False: kNN is leave-one-out among the held-out rows (for training data whose
    /// label column is empty or unrelated).
    /// </summary>
    public bool UseTrainingLabels = true;

    /// <summary>Neighbours of the kNN classifier (5, as a common kNN probe on small data).</summary>
    public int Neighbors = 5;

    /// <summary>
    /// Optimiser steps between evaluations; null (the default) spaces them by time instead, so that all evaluations
    /// together take at most <see cref="MaxTimeFraction"/> of the training time.
    /// </summary>
    public int? EverySteps;

    /// <summary>With <see cref="EverySteps"/> null: the largest share of training time the periodic evaluations may take.</summary>
    public double MaxTimeFraction = 0.02;

    /// <summary>Checks every option; throws <see cref="ArgumentOutOfRangeException"/> naming it.</summary>
    internal void Validate()
    {
        Check(HoldOutFraction > 0 && HoldOutFraction <= 0.5, nameof(HoldOutFraction), HoldOutFraction, "in (0, 0.5]");
        Check(MaxEvaluationRows >= 2, nameof(MaxEvaluationRows), MaxEvaluationRows, "at least 2");
        Check(MaxBankRows >= 1, nameof(MaxBankRows), MaxBankRows, "at least 1");
        Check(Neighbors >= 1, nameof(Neighbors), Neighbors, "at least 1");
        Check(EverySteps is null || EverySteps >= 1, nameof(EverySteps), EverySteps, "null (spaced by time) or at least 1");
        Check(MaxTimeFraction > 0 && MaxTimeFraction < 1, nameof(MaxTimeFraction), MaxTimeFraction, "in (0, 1)");
        if (LabelColumnName is not null && string.IsNullOrWhiteSpace(LabelColumnName))
            throw new ArgumentException("The evaluation label column must be null (no labels) or a column name.", nameof(LabelColumnName));
    }

    private static void Check(bool condition, string option, object? value, string allowed)
    {
        if (!condition)
        {
            throw new ArgumentOutOfRangeException("Evaluation." + option, value, $"Option Evaluation.{option} must be {allowed}; found {value ?? "null"}.");
        }
    }
}
