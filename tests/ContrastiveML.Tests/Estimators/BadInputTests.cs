using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms.Image;

namespace ContrastiveML.Tests;

/// <summary>
/// Bad input is rejected by Fit before any training step, with an error naming the column (and row) or option.
/// Missing columns, wrong item types, variable-size and wrong-size vectors are covered for every estimator in
/// <see cref="EstimatorConformanceTests"/>; image size mismatches, empty data and data smaller than the batch in
/// <see cref="SimClrEstimatorTests"/>; these are the remaining cases.
/// </summary>
public class BadInputTests
{
    private sealed class ImageRow
    {
        [ImageType(8, 8)] public MLImage? Image { get; set; }
    }

    [Theory]
    [InlineData(float.NaN)]
    [InlineData(float.NegativeInfinity)]
    public void NonFinitePixelFailsFitNamingColumnRowAndIndex(float bad)
    {
        var ml = new MLContext(1);
        EightByEightRow[] rows = TinyFits.Rows(20);
        rows[13].Pixels[42] = bad;
        var progress = new List<Training.TrainingProgress>();
        SimClrOptions options = TinyFits.Options();
        options.Progress = new SynchronousProgress(progress.Add);
        options.ProgressIntervalSeconds = 1e-6;

        var error = Assert.Throws<InvalidOperationException>(() => ml.Transforms.SimClr(options).Fit(ml.Data.LoadFromEnumerable(rows)));
        Assert.Contains("'Pixels'", error.Message);
        Assert.Contains("row 13", error.Message);
        Assert.Contains("index 42", error.Message);
        Assert.Empty(progress); // rejected in the scan, before the first step
    }

    [Fact]
    public void OneRowFailsFitSayingTwoAreNeeded()
    {
        var ml = new MLContext(1);
        var error = Assert.Throws<InvalidOperationException>(() => ml.Transforms.SimClr(TinyFits.Options()).Fit(TinyFits.Data(ml, 1)));
        Assert.Contains("'Pixels'", error.Message);
        Assert.Contains("1 row", error.Message);
        Assert.Contains("at least 2", error.Message);
    }

    [Fact]
    public void TwoRowsAreEnough()
    {
        var ml = new MLContext(1);
        ContrastiveEncoderTransformer model = ml.Transforms.SimClr(TinyFits.Options(maxSteps: 1)).Fit(TinyFits.Data(ml, 2));
        Assert.Equal(2, model.Report.BatchSize);
        Assert.Equal(1, model.Report.Steps);
    }

    [Theory]
    [InlineData(2)]
    [InlineData(4)]
    public void ImageColumnWithAShapeOfNeitherOneNorThreeChannelsIsRejected(int channels)
    {
        var ml = new MLContext(1);
        var rows = new[] { new ImageRow { Image = MLImage.CreateFromPixels(8, 8, MLPixelFormat.Bgra32, new byte[256]) } };
        SimClrOptions options = TinyFits.Options();
        options.InputColumnName = "Image";
        options.ImageShape = new ImageShape(channels, 8, 8);
        var estimator = ml.Transforms.SimClr(options);

        var error = Assert.Throws<ArgumentException>(() => estimator.Fit(ml.Data.LoadFromEnumerable(rows)));
        Assert.Contains("'Image'", error.Message);
        Assert.Contains($"{channels} channels", error.Message);
    }

    [Theory]
    [InlineData(nameof(SimClrOptions.MaxSteps))]
    [InlineData(nameof(SimClrOptions.MaxMinutes))]
    [InlineData(nameof(SimClrOptions.WarmupFraction))]
    [InlineData(nameof(SimClrOptions.PixelScale))]
    [InlineData(nameof(SimClrOptions.ShuffleBufferSize))]
    [InlineData(nameof(SimClrOptions.Momentum))]
    [InlineData(nameof(SimClrOptions.ProjectionDim))]
    [InlineData(nameof(SimClrOptions.EncoderWidth))]
    public void InvalidOptionValuesNameTheOptionAndTheValue(string option)
    {
        SimClrOptions options = TinyFits.Options();
        object found;
        switch (option)
        {
            case nameof(SimClrOptions.MaxSteps): options.MaxSteps = -1; found = -1; break;
            case nameof(SimClrOptions.MaxMinutes): options.MaxMinutes = 0; found = 0; break;
            case nameof(SimClrOptions.WarmupFraction): options.WarmupFraction = 1; found = 1; break;
            case nameof(SimClrOptions.PixelScale): options.PixelScale = float.NaN; found = float.NaN; break;
            case nameof(SimClrOptions.ShuffleBufferSize): options.ShuffleBufferSize = -5; found = -5; break;
            case nameof(SimClrOptions.Momentum): options.Momentum = 1; found = 1; break;
            case nameof(SimClrOptions.ProjectionDim): options.ProjectionDim = 0; found = 0; break;
            default: options.EncoderWidth = -2; found = -2; break;
        }
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new MLContext(1).Transforms.SimClr(options));
        Assert.Equal(option, error.ParamName);
        Assert.Contains($"found {found}", error.Message);
    }

    [Fact]
    public void MissingImageShapeIsNamed()
    {
        SimClrOptions options = TinyFits.Options();
        options.ImageShape = null;
        var error = Assert.Throws<ArgumentNullException>(() => new MLContext(1).Transforms.SimClr(options));
        Assert.Equal(nameof(SimClrOptions.ImageShape), error.ParamName);
    }
}
