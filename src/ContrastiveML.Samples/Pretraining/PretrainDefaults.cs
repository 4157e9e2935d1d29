using System.Globalization;
using ContrastiveML.Encoders;
using ContrastiveML.Methods.CommandLine;

namespace ContrastiveML.Samples.Pretraining;

/// <summary>One default: the value and why it was chosen (or "given" when the user set it).</summary>
internal sealed record DefaultChoice<T>(T Value, string Reason);

/// <summary>The options <c>pretrain</c> fills in from the data when the command line leaves them out.</summary>
internal sealed record PretrainChoices(
    DefaultChoice<int> Channels, DefaultChoice<(int Height, int Width)> Size, DefaultChoice<EmbeddingPooling> Pooling,
    DefaultChoice<int> BatchSize, DefaultChoice<double> LearningRate, DefaultChoice<int> Epochs,
    DefaultChoice<double> CropScaleMin, DefaultChoice<double> Temperature)
{
    /// <summary>One log line per choice: "name = value (reason)".</summary>
    public IEnumerable<string> Lines()
    {
        var c = CultureInfo.InvariantCulture;
        yield return $"channels = {Channels.Value} ({Channels.Reason})";
        yield return $"size = {Size.Value.Height}x{Size.Value.Width} ({Size.Reason})";
        yield return $"pooling = {Pooling.Value} ({Pooling.Reason})";
        yield return $"batch size = {BatchSize.Value} ({BatchSize.Reason})";
        yield return string.Create(c, $"learning rate = {LearningRate.Value:G3} ({LearningRate.Reason})");
        yield return $"epochs = {Epochs.Value} ({Epochs.Reason})";
        yield return string.Create(c, $"crop scale min = {CropScaleMin.Value:G3} ({CropScaleMin.Reason})");
        yield return string.Create(c, $"temperature = {Temperature.Value:G3} ({Temperature.Reason})");
    }
}

/// <summary>
/// Chooses <c>pretrain</c>'s defaults from the images: channels and size from the files (no upscaling), pooling,
/// batch size, learning rate, crop scale, temperature and training length from the image count and size. Every
/// choice carries its reason, which the command prints. The measurements behind the numbers are in
/// docs/methods/simclr.md ("Defaults that fit the data") and BENCHMARKS.md.
/// </summary>
internal static class PretrainDefaults
{
    /// <summary>How <c>pretrain --help</c> describes the method options whose defaults are chosen here.</summary>
    public static IReadOnlyDictionary<string, string> DefaultDescriptions { get; } = new Dictionary<string, string>
    {
        [MethodCliOptions.CropScaleMin.Name] = "from the image size",
        [MethodCliOptions.Temperature.Name] = "0.2, measured better than SimCLR's 0.5 at batch 64",
    };

    /// <summary>The longest side trained on by default: larger images are reduced to it, since on a CPU the step time grows with the pixel count.</summary>
    public const int MaxSide = 64;

    /// <summary>
    /// The largest default batch. Minutes of CPU training are a few thousand optimiser steps at most, and more steps
    /// beat more negatives there: on 3,000 Fashion-MNIST images (test on 1,000 others) batch 64 for 150 steps (9,600
    /// images) reached kNN 76.0% / linear 82.6%, batch 256 for 150 steps (38,400 images, four times the time) 76.0% / 81.8%
    /// (BENCHMARKS.md, "Defaults that fit the data").
    /// </summary>
    public const int LargestBatch = 64;

    /// <summary>The batch the learning rate 2e-3 was set for (the library's default batch).</summary>
    public const int ReferenceBatch = 256;

    /// <summary>Images seen per training run without a time budget (about 5 minutes of 28x28 training on 2 CPU cores).</summary>
    public const int ImagesPerRun = 100_000;

    /// <summary>Epochs when a time budget decides the length: high enough that the budget always ends training first.</summary>
    public const int EpochsUnderBudget = 10_000;

    /// <summary>The choices for <paramref name="facts"/>; a non-null argument is the user's and is kept ("given").</summary>
    /// <remarks><paramref name="encoder"/> matters for pooling: a 3x3 grid needs a last feature map of at least 3x3.</remarks>
    public static PretrainChoices Choose(ImageFolderFacts facts, int? channels, (int, int)? size, EmbeddingPooling? pooling, int? batchSize,
                                         double? learningRate, int? epochs, double? cropScaleMin, double? temperature,
                                         EncoderKind encoder = EncoderKind.CompactCnn)
    {
        const string given = "given";
        DefaultChoice<int> channelChoice = channels is int ch ? new(ch, given)
            : facts.AllGrayscale ? new(1, "every image is gray: one channel carries all of it, three would triple the first layer's input for nothing")
            : new(3, "the images have colour");

        DefaultChoice<(int, int)> sizeChoice;
        if (size is (int, int) s) sizeChoice = new(s, given);
        else if (Math.Max(facts.MedianHeight, facts.MedianWidth) <= MaxSide)
            sizeChoice = new((facts.MedianHeight, facts.MedianWidth), "the images' own (median) size: no resampling, nothing invented by upscaling");
        else
        {
            double scale = (double)MaxSide / Math.Max(facts.MedianHeight, facts.MedianWidth);
            sizeChoice = new((Math.Max(8, (int)Math.Round(facts.MedianHeight * scale)), Math.Max(8, (int)Math.Round(facts.MedianWidth * scale))),
                             $"the images' median size {facts.MedianHeight}x{facts.MedianWidth} reduced to {MaxSide} pixels on the longer side, keeping the aspect: on a CPU the step time grows with the pixel count");
        }

        (int height, int width) = sizeChoice.Value;
        int mapSide = FinalMapSide(encoder, Math.Min(height, width));
        DefaultChoice<EmbeddingPooling> poolingChoice = pooling is EmbeddingPooling p ? new(p, given)
            : mapSide < 3 ? new(EmbeddingPooling.Global, $"the {encoder}'s last feature map is {mapSide}x{mapSide} at this size, too small for a 3x3 grid")
            : Math.Max(height, width) <= MaxSide
                ? new(EmbeddingPooling.Grid3x3, "small images: a 3x3 grid of pooled features keeps where things are, which global pooling throws away (+4 points of linear probe on Fashion-MNIST)")
                : new(EmbeddingPooling.Global, "large images: global average pooling, the SimCLR convention");

        // At least 8 steps per epoch, so the schedule has steps to warm up and decay over even on a few hundred images.
        int batch = batchSize ?? Math.Clamp(PowerOfTwoAtMost(facts.ImageCount / 8), 16, LargestBatch);
        DefaultChoice<int> batchChoice = batchSize is not null ? new(batch, given)
            : batch == LargestBatch ? new(batch, "short CPU runs gain more from optimiser steps than from negatives: batch 64 matched batch 256 with a quarter of the images (BENCHMARKS.md)")
            : new(batch, $"{facts.ImageCount} images: the largest power of two that leaves 8 steps per epoch");

        // AdamW's peak rate, scaled with the square root of the batch (as for Adam-type optimisers) from 2e-3 at 256.
        DefaultChoice<double> lrChoice = learningRate is double lr ? new(lr, given)
            : new(2e-3 * Math.Sqrt(batch / (double)ReferenceBatch), batch == ReferenceBatch ? "AdamW's 2e-3 at batch 256" : $"AdamW's 2e-3 at batch 256, scaled by sqrt({batch}/256)");

        DefaultChoice<int> epochChoice = epochs is int e ? new(e, given)
            : facts.HasTimeBudget ? new(EpochsUnderBudget, "the time budget decides the length; the learning-rate schedule is laid over it")
            : new(Math.Max(10, (int)Math.Ceiling(ImagesPerRun / (double)Math.Max(1, facts.ImageCount))),
                  $"about {ImagesPerRun:N0} images seen in all, at least 10 epochs");

        DefaultChoice<double> cropChoice = cropScaleMin is double cs ? new(cs, given)
            : Math.Max(height, width) <= 32 ? new(0.4, "small images: crops below 40% of the area leave too little of the object (measured on Fashion-MNIST)")
            : new(0.2, "the common small-image SimCLR setting");

        DefaultChoice<double> temperatureChoice = temperature is double t ? new(t, given)
            : new(0.2, "0.2 beat SimCLR's 0.5 on kNN and linear accuracy at batch 64 on the tuning set (BENCHMARKS.md)");

        return new PretrainChoices(channelChoice, sizeChoice, poolingChoice, batchChoice, lrChoice, epochChoice, cropChoice, temperatureChoice);
    }

    /// <summary>The side of the encoder's last feature map for images of side <paramref name="side"/> (CompactCnn: two 2x2 max-pools; ResNet18: three stride-2 stages).</summary>
    internal static int FinalMapSide(EncoderKind encoder, int side)
    {
        if (encoder == EncoderKind.CompactCnn) return side / 4;
        for (int i = 0; i < 3; i++) side = (side + 1) / 2;
        return side;
    }

    private static int PowerOfTwoAtMost(int n)
    {
        int p = 1;
        while (p * 2 <= n) p *= 2;
        return p;
    }
}
