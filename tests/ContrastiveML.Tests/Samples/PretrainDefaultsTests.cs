using ContrastiveML.Encoders;
using ContrastiveML.Samples.Pretraining;

namespace ContrastiveML.Tests;

/// <summary>pretrain's data-aware defaults, chosen from injected facts about an image folder.</summary>
public class PretrainDefaultsTests
{
    private static PretrainChoices Choose(ImageFolderFacts facts) =>
        PretrainDefaults.Choose(facts, null, null, null, null, null, null, null, null);

    [Fact]
    public void Small_gray_images_keep_one_channel_and_their_own_size()
    {
        PretrainChoices c = Choose(new ImageFolderFacts(3000, 28, 28, AllGrayscale: true, HasTimeBudget: true));
        Assert.Equal(1, c.Channels.Value);
        Assert.Contains("gray", c.Channels.Reason);
        Assert.Equal((28, 28), c.Size.Value);
        Assert.Contains("no resampling", c.Size.Reason);
        Assert.Equal(EmbeddingPooling.Grid3x3, c.Pooling.Value);
        Assert.Equal(64, c.BatchSize.Value); // 3000 / 8 = 375 -> capped at 64
        Assert.Equal(1e-3, c.LearningRate.Value, 12); // 2e-3 x sqrt(64 / 256)
        Assert.Contains("more from optimiser steps", c.BatchSize.Reason);
        Assert.Equal(PretrainDefaults.EpochsUnderBudget, c.Epochs.Value);
        Assert.Contains("time budget", c.Epochs.Reason);
        Assert.All(c.Lines(), line => Assert.Matches(@"^[a-z ]+ = .+ \(.+\)$", line));
    }

    [Fact]
    public void Few_images_get_a_smaller_batch_and_a_learning_rate_scaled_by_its_square_root()
    {
        PretrainChoices c = Choose(new ImageFolderFacts(400, 28, 28, true, HasTimeBudget: false));
        Assert.Equal(32, c.BatchSize.Value); // largest power of two <= 400 / 8 = 50
        Assert.Contains("8 steps per epoch", c.BatchSize.Reason);
        Assert.Equal(2e-3 * Math.Sqrt(32 / 256.0), c.LearningRate.Value, 12);
        Assert.Contains("sqrt(32/256)", c.LearningRate.Reason);
        Assert.Equal(250, c.Epochs.Value); // 100,000 images / 400
        Assert.Equal(16, Choose(new ImageFolderFacts(40, 28, 28, true, false)).BatchSize.Value); // never below 16
        Assert.Equal(2500, Choose(new ImageFolderFacts(40, 28, 28, true, false)).Epochs.Value);
        Assert.Equal(10, Choose(new ImageFolderFacts(50_000, 28, 28, true, false)).Epochs.Value); // at least 10
    }

    [Fact]
    public void Large_colour_photos_are_reduced_keeping_the_aspect_and_pooled_globally()
    {
        PretrainChoices c = Choose(new ImageFolderFacts(500, 375, 500, AllGrayscale: false, HasTimeBudget: true));
        Assert.Equal(3, c.Channels.Value);
        Assert.Equal((48, 64), c.Size.Value);
        Assert.Contains("reduced to 64", c.Size.Reason);
        Assert.Equal(EmbeddingPooling.Grid3x3, c.Pooling.Value); // 64 is still small
        PretrainChoices wide = PretrainDefaults.Choose(new ImageFolderFacts(500, 375, 500, false, true), null, (96, 128), null, null, null, null, null, null);
        Assert.Equal(EmbeddingPooling.Global, wide.Pooling.Value);
    }

    [Fact]
    public void Given_values_are_kept_and_marked_given()
    {
        PretrainChoices c = PretrainDefaults.Choose(new ImageFolderFacts(1000, 28, 28, true, true), 3, (32, 32), EmbeddingPooling.Global, 128, 0.01, 7, 0.2, 0.1);
        Assert.Equal(3, c.Channels.Value);
        Assert.Equal((32, 32), c.Size.Value);
        Assert.Equal(EmbeddingPooling.Global, c.Pooling.Value);
        Assert.Equal(128, c.BatchSize.Value);
        Assert.Equal(0.01, c.LearningRate.Value);
        Assert.Equal(7, c.Epochs.Value);
        Assert.Equal(0.2, c.CropScaleMin.Value);
        Assert.Equal(0.1, c.Temperature.Value);
        Assert.All(new[] { c.Channels.Reason, c.Size.Reason, c.Pooling.Reason, c.BatchSize.Reason, c.LearningRate.Reason, c.Epochs.Reason, c.CropScaleMin.Reason, c.Temperature.Reason },
                   reason => Assert.Equal("given", reason));
    }
}
