using ContrastiveML.Evaluation;
using ContrastiveML.Training;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace ContrastiveML.Tests;

/// <summary>A 1x8x8 row with a text label.</summary>
public sealed class HalvesRow
{
    [VectorType(64)] public float[] Pixels { get; set; } = new float[64];
    public string Label { get; set; } = "";
}

/// <summary>Fit with <see cref="ContrastiveEncoderOptions.Evaluation"/>: the references, the points, the report and the progress line.</summary>
public class OnlineEvaluationTests
{
    /// <summary>
    /// Two classes: "left" images are bright in their left half, "right" in their right half, with noise elsewhere. Any
    /// image is far more similar (cosine) to its own class than to the other, so raw-pixel kNN is 100% by construction.
    /// </summary>
    private static HalvesRow[] Halves(int count, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count).Select(i =>
        {
            bool left = i % 2 == 0;
            var pixels = new float[64];
            for (int p = 0; p < 64; p++) pixels[p] = (p % 8 < 4) == left ? 200 + random.Next(56) : random.Next(20);
            return new HalvesRow { Pixels = pixels, Label = left ? "left" : "right" };
        }).ToArray();
    }

    private static SimClrOptions Options(OnlineEvaluationOptions evaluation, int maxSteps = 4)
    {
        SimClrOptions options = TinyFits.Options(maxSteps: maxSteps);
        options.Evaluation = evaluation;
        return options;
    }

    [Fact]
    public void Held_out_labelled_rows_give_references_points_and_a_final_linear_probe()
    {
        var ml = new MLContext(1);
        IDataView train = ml.Data.LoadFromEnumerable(Halves(64, 1));
        IDataView held = ml.Data.LoadFromEnumerable(Halves(20, 2));
        var progress = new List<TrainingProgress>();
        SimClrOptions options = Options(new OnlineEvaluationOptions { Data = held, LabelColumnName = "Label", EverySteps = 2 });
        options.Progress = new SynchronousProgress(progress.Add);
        TrainingReport report = ml.Transforms.SimClr(options).Fit(train).Report;

        EvaluationReport evaluation = Assert.IsType<EvaluationReport>(report.Evaluation);
        Assert.True(evaluation.HasLabels);
        Assert.Equal(20, evaluation.HeldOutRows);
        Assert.Equal(64, evaluation.BankRows);
        Assert.Equal(5, evaluation.Neighbors);
        Assert.Equal(1.0, evaluation.Pixels.KnnAccuracy);
        Assert.Equal(1.0, evaluation.Pixels.LinearAccuracy);
        // Start, steps 2 and 4 (every 2 steps), and the end after step 4.
        Assert.Equal(new long[] { 0, 2, 4, 4 }, evaluation.Points.Select(p => p.Step));
        Assert.NotNull(evaluation.RandomInit.LinearAccuracy);
        Assert.NotNull(evaluation.Final.LinearAccuracy);
        Assert.Null(evaluation.Points[1].LinearAccuracy); // the linear probe runs at the start and the end only
        Assert.All(evaluation.Points, p => Assert.InRange(p.KnnAccuracy!.Value, 0, 1));
        Assert.All(evaluation.Points, p => Assert.InRange(p.Uniformity, -4.01, 0));
        Assert.All(evaluation.Points, p => Assert.InRange(p.Alignment, 0, 4));
        Assert.InRange(evaluation.Seconds, 0, report.TrainingSeconds + 60);
        // Every evaluation is reported at once, with the references.
        Assert.Contains(progress, p => p.Evaluation?.Final.Step == 2);
        Assert.Contains("kNN(k=5, cosine)", progress.Last().ToString());
        Assert.Contains("pixels 100.0%", progress.Last().ToString());
    }

    [Fact]
    public void Without_labels_only_label_free_measures_are_reported()
    {
        var ml = new MLContext(1);
        IDataView train = TinyFits.Data(ml, 48);
        SimClrOptions options = Options(new OnlineEvaluationOptions { HoldOutFraction = 0.25 });
        var progress = new List<TrainingProgress>();
        options.Progress = new SynchronousProgress(progress.Add);
        options.ProgressIntervalSeconds = 1e-6;
        TrainingReport report = ml.Transforms.SimClr(options).Fit(train).Report;
        EvaluationReport evaluation = report.Evaluation!;
        Assert.False(evaluation.HasLabels);
        Assert.All(evaluation.Points.Append(evaluation.Pixels), p => Assert.Null(p.KnnAccuracy));
        Assert.All(evaluation.Points, p => Assert.True(p.EffectiveRank > 0));
        // The held-out quarter is not trained on.
        Assert.InRange(report.TrainingRows, 24, 47);
        Assert.Equal(48 - report.TrainingRows, evaluation.HeldOutRows);
        Assert.Contains("accuracy needs labels", progress.Last().ToString());
    }

    [Fact]
    public void Evaluation_does_not_change_what_is_trained()
    {
        var ml = new MLContext(1);
        IDataView train = ml.Data.LoadFromEnumerable(Halves(32, 1));
        IDataView held = ml.Data.LoadFromEnumerable(Halves(8, 2));
        float[][] Embed(SimClrOptions options)
        {
            var fitted = new MLContext(1).Transforms.SimClr(options).Fit(train);
            return TinyFits.Embeddings(ml, fitted.Transform(held));
        }
        float[][] plain = Embed(TinyFits.Options(maxSteps: 3));
        float[][] evaluated = Embed(Options(new OnlineEvaluationOptions { Data = held, LabelColumnName = "Label", EverySteps = 1 }, maxSteps: 3));
        Assert.Equal(plain, evaluated);
    }

    [Fact]
    public void A_missing_evaluation_label_column_is_named()
    {
        var ml = new MLContext(1);
        IDataView train = ml.Data.LoadFromEnumerable(Halves(16, 1));
        IDataView held = TinyFits.Data(ml, 8);
        var error = Assert.Throws<ArgumentException>(() =>
            ml.Transforms.SimClr(Options(new OnlineEvaluationOptions { Data = held, LabelColumnName = "Label" })).Fit(train));
        Assert.Contains("Label column 'Label' was not found", error.Message);
        Assert.Equal("Evaluation.LabelColumnName", error.ParamName);
    }

    [Theory]
    [InlineData("HoldOutFraction", 0.0)]
    [InlineData("HoldOutFraction", 0.6)]
    [InlineData("Neighbors", 0.0)]
    [InlineData("MaxTimeFraction", 1.0)]
    public void Bad_evaluation_options_are_named(string option, double value)
    {
        var evaluation = new OnlineEvaluationOptions();
        switch (option)
        {
            case "HoldOutFraction": evaluation.HoldOutFraction = value; break;
            case "Neighbors": evaluation.Neighbors = (int)value; break;
            default: evaluation.MaxTimeFraction = value; break;
        }
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new MLContext(1).Transforms.SimClr(Options(evaluation)));
        Assert.Equal("Evaluation." + option, error.ParamName);
        Assert.Contains($"Option Evaluation.{option} must be", error.Message);
    }
}
