using ContrastiveML.Evaluation;

namespace ContrastiveML.Tests;

/// <summary>The early warning: below the random init by more than the noise, or a collapsing effective rank.</summary>
public class TrainingHealthTests
{
    private static EvaluationPoint Point(double? knn, double rank, double uniformity = -2) =>
        new() { KnnAccuracy = knn, EffectiveRank = rank, Uniformity = uniformity };

    [Fact]
    public void Margin_is_one_standard_error_and_at_least_one_point()
    {
        // p = 0.8 on 100 images: sqrt(0.16 / 100) = 0.04.
        Assert.Equal(0.04, TrainingHealth.Margin(0.8, 100), 10);
        // On 10,000 images the standard error (0.004) is below the one-point floor.
        Assert.Equal(0.01, TrainingHealth.Margin(0.8, 10_000), 10);
    }

    [Fact]
    public void Warns_when_knn_falls_below_random_init_by_more_than_the_margin()
    {
        EvaluationPoint init = Point(0.80, 100);
        // 1,000 images: margin sqrt(0.16/1000) = 0.0126.
        Assert.Null(TrainingHealth.Check(init, Point(0.79, 100), 1000));
        string? warning = TrainingHealth.Check(init, Point(0.78, 100), 1000);
        Assert.NotNull(warning);
        Assert.StartsWith("WARNING:", warning);
        Assert.Contains("worse than the untrained encoder (kNN 78.0% against 80.0% at random init)", warning);
        Assert.Contains("try weaker augmentation", warning);
        Assert.Null(TrainingHealth.Check(init, Point(0.95, 100), 1000));
    }

    [Fact]
    public void Warns_on_collapse_of_the_effective_rank()
    {
        EvaluationPoint init = Point(null, 40);
        Assert.Null(TrainingHealth.Check(init, Point(null, 10.5), 100));
        string? warning = TrainingHealth.Check(init, Point(null, 9.9, uniformity: -0.01), 100);
        Assert.NotNull(warning);
        Assert.Contains("collapsing (effective rank 9.9, random init 40.0", warning);
        Assert.Contains("lower learning rate", warning);
        // Below 2 is collapse whatever the random init had.
        Assert.NotNull(TrainingHealth.Check(Point(null, 3), Point(null, 1.5), 100));
    }

    [Fact]
    public void Both_problems_are_named_together()
    {
        string? warning = TrainingHealth.Check(Point(0.9, 50), Point(0.5, 1.2), 1000);
        Assert.NotNull(warning);
        Assert.Contains("collapsing", warning);
        Assert.Contains("worse than the untrained encoder", warning);
    }
}
