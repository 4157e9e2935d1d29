using ContrastiveML.Augmentation;
using static TorchSharp.torch;

namespace ContrastiveML.Tests;

public class ViewAugmenterTests
{
    private static Tensor RandomImages(long n, int c, int h, int w, ulong seed = 7)
    {
        using var g = new Generator(seed);
        return rand(new long[] { n, c, h, w }, generator: g);
    }

    private static SimClrAugmentationOptions Identity() => new()
    {
        CropScaleMin = 1, CropScaleMax = 1, CropRatioMin = 1, CropRatioMax = 1,
        HorizontalFlipProbability = 0, ColorJitterProbability = 0, GrayscaleProbability = 0, BlurProbability = 0,
        Brightness = 0, Contrast = 0, Saturation = 0, Hue = 0,
    };

    private static float MaxAbsDiff(Tensor a, Tensor b)
    {
        using var d = (a - b).abs().max();
        return d.item<float>();
    }

    [Theory]
    [InlineData(3, 16, 16)]
    [InlineData(1, 28, 28)]
    [InlineData(3, 12, 20)]
    public void ViewHasInputShapeDtypeDeviceAndUnitRange(int c, int h, int w)
    {
        using var scope = NewDisposeScope();
        var images = RandomImages(8, c, h, w);
        var augmenter = new ViewAugmenter(new SimClrAugmentationOptions(), new ImageShape(c, h, w));
        using var g = new Generator(1);
        var view = augmenter.MakeView(images, g);
        Assert.Equal(images.shape, view.shape);
        Assert.Equal(ScalarType.Float32, view.dtype);
        Assert.Equal(images.device_type, view.device_type);
        Assert.True(view.min().item<float>() >= 0f);
        Assert.True(view.max().item<float>() <= 1f);
        Assert.False(view.isnan().any().item<bool>());
    }

    [Fact]
    public void SameImageTwiceInOneBatchGetsDifferentViews()
    {
        using var scope = NewDisposeScope();
        var one = RandomImages(1, 1, 28, 28);
        var images = cat(new[] { one, one }, 0);
        var augmenter = new ViewAugmenter(new SimClrAugmentationOptions { ColorJitterProbability = 0 }, new ImageShape(1, 28, 28));
        using var g = new Generator(3);
        var view = augmenter.MakeView(images, g);
        Assert.True(MaxAbsDiff(view[0], view[1]) > 1e-2f);
    }

    [Fact]
    public void TwoCallsGiveDifferentViewsAndTheInputIsUnchanged()
    {
        using var scope = NewDisposeScope();
        var images = RandomImages(4, 3, 16, 16);
        var copy = images.clone();
        var augmenter = new ViewAugmenter(new SimClrAugmentationOptions(), new ImageShape(3, 16, 16));
        using var g = new Generator(5);
        var a = augmenter.MakeView(images, g);
        var b = augmenter.MakeView(images, g);
        Assert.True(MaxAbsDiff(a, b) > 1e-2f);
        Assert.Equal(0f, MaxAbsDiff(images, copy));
    }

    [Fact]
    public void SameSeedGivesIdenticalViews()
    {
        using var scope = NewDisposeScope();
        var images = RandomImages(6, 3, 16, 16);
        var augmenter = new ViewAugmenter(new SimClrAugmentationOptions(), new ImageShape(3, 16, 16));
        using var g1 = new Generator(42);
        using var g2 = new Generator(42);
        var a = augmenter.MakeView(images, g1);
        var b = augmenter.MakeView(images, g2);
        Assert.Equal(0f, MaxAbsDiff(a, b));
    }

    [Theory]
    [InlineData(3, 16, 16)]
    [InlineData(1, 28, 28)]
    public void IdentitySettingsReturnTheInput(int c, int h, int w)
    {
        using var scope = NewDisposeScope();
        var images = RandomImages(4, c, h, w);
        var augmenter = new ViewAugmenter(Identity(), new ImageShape(c, h, w));
        using var g = new Generator(9);
        Assert.True(MaxAbsDiff(augmenter.MakeView(images, g), images) < 1e-5f);
    }

    [Fact]
    public void FlipOnlyMirrorsTheImage()
    {
        using var scope = NewDisposeScope();
        var images = RandomImages(3, 3, 10, 14);
        var options = Identity();
        // A full crop of a non-square image needs the image's own aspect ratio.
        options.CropRatioMin = options.CropRatioMax = 14.0 / 10.0;
        options.HorizontalFlipProbability = 1;
        var augmenter = new ViewAugmenter(options, new ImageShape(3, 10, 14));
        using var g = new Generator(11);
        Assert.True(MaxAbsDiff(augmenter.MakeView(images, g), images.flip(3)) < 1e-5f);
    }

    [Fact]
    public void NonSquareImageWithUnitRatioFallsBackToTheCentreSquare()
    {
        // 8x32 with ratio 1..1 and full area: no square of area 256 fits, so torchvision's fallback takes the
        // centred 8x8 square, columns 12..19. Each pixel holds its column index / 31. Bilinear sampling of the box
        // (pixel edges 12..20) reads pixel centres 11.625..19.375: the outermost samples blend in a quarter of the
        // neighbouring column, where torchvision's crop-then-resize would replicate the box's own edge.
        using var scope = NewDisposeScope();
        var columns = (arange(32, dtype: ScalarType.Float32) / 31f).view(1, 1, 1, 32).expand(2, 1, 8, 32).contiguous();
        var augmenter = new ViewAugmenter(Identity(), new ImageShape(1, 8, 32));
        using var g = new Generator(2);
        var view = augmenter.MakeView(columns, g);
        Assert.Equal(11.625f / 31f, view.min().item<float>(), 5);
        Assert.Equal(19.375f / 31f, view.max().item<float>(), 5);
    }

    [Fact]
    public void GrayscaleWithProbabilityOneGivesEqualChannels()
    {
        using var scope = NewDisposeScope();
        var images = RandomImages(4, 3, 16, 16);
        var options = new SimClrAugmentationOptions { GrayscaleProbability = 1 };
        var augmenter = new ViewAugmenter(options, new ImageShape(3, 16, 16));
        using var g = new Generator(13);
        var view = augmenter.MakeView(images, g);
        Assert.True(MaxAbsDiff(view.select(1, 0), view.select(1, 1)) < 1e-6f);
        Assert.True(MaxAbsDiff(view.select(1, 1), view.select(1, 2)) < 1e-6f);
    }

    [Fact]
    public void GrayscaleUsesLumaWeights()
    {
        using var scope = NewDisposeScope();
        var images = RandomImages(2, 3, 8, 8);
        var options = Identity();
        options.GrayscaleProbability = 1;
        var augmenter = new ViewAugmenter(options, new ImageShape(3, 8, 8));
        using var g = new Generator(1);
        var expected = images.select(1, 0) * 0.299f + images.select(1, 1) * 0.587f + images.select(1, 2) * 0.114f;
        Assert.True(MaxAbsDiff(augmenter.MakeView(images, g).select(1, 1), expected) < 1e-5f);
    }

    [Fact]
    public void BlurPreservesAConstantImage()
    {
        using var scope = NewDisposeScope();
        var images = full(new long[] { 3, 3, 32, 32 }, 0.37f);
        var options = Identity();
        options.BlurProbability = 1;
        var augmenter = new ViewAugmenter(options, new ImageShape(3, 32, 32));
        using var g = new Generator(4);
        var view = augmenter.MakeView(images, g);
        Assert.Equal(0.37f, view.mean().item<float>(), 5);
        Assert.True(MaxAbsDiff(view, images) < 1e-5f);
    }

    [Fact]
    public void BlurSmoothsAndKeepsTheMeanOfAnImpulse()
    {
        // A single bright pixel away from the border: a Gaussian spreads it but keeps its total.
        using var scope = NewDisposeScope();
        var images = zeros(2, 1, 21, 21);
        images[TensorIndex.Colon, 0, 10, 10] = tensor(1f);
        var options = Identity();
        options.BlurProbability = 1;
        options.BlurSigmaMin = 1.0;
        options.BlurSigmaMax = 2.0;
        options.BlurKernelFraction = 0.25;   // 5x5 kernel
        var augmenter = new ViewAugmenter(options, new ImageShape(1, 21, 21));
        Assert.Equal(5, augmenter.KernelSize);
        using var g = new Generator(6);
        var view = augmenter.MakeView(images, g);
        Assert.True(view.max().item<float>() < 0.5f);
        Assert.True(MaxAbsDiff(view.sum(new long[] { 1, 2, 3 }, keepdim: false), ones(2)) < 1e-5f);
    }

    [Fact]
    public void ContrastAndBrightnessJitterStayInRangeAndChangeTheImage()
    {
        using var scope = NewDisposeScope();
        var images = RandomImages(4, 1, 12, 12);
        var options = Identity();
        options.ColorJitterProbability = 1;
        options.Brightness = 0.8;
        options.Contrast = 0.8;
        var augmenter = new ViewAugmenter(options, new ImageShape(1, 12, 12));
        using var g = new Generator(8);
        var view = augmenter.MakeView(images, g);
        Assert.True(MaxAbsDiff(view, images) > 1e-2f);
        Assert.True(view.min().item<float>() >= 0f && view.max().item<float>() <= 1f);
    }

    [Fact]
    public void SingleChannelNeverUsesSaturationOrHue()
    {
        using var scope = NewDisposeScope();
        var images = RandomImages(6, 1, 12, 12);
        var shape = new ImageShape(1, 12, 12);

        // Only saturation and hue requested: a gray image must come back unchanged.
        var onlyChroma = Identity();
        onlyChroma.ColorJitterProbability = 1;
        onlyChroma.Saturation = 0.8;
        onlyChroma.Hue = 0.5;
        using (var g = new Generator(21))
            Assert.True(MaxAbsDiff(new ViewAugmenter(onlyChroma, shape).MakeView(images, g), images) < 1e-5f);

        // With brightness and contrast on, saturation and hue settings make no difference at all.
        var withChroma = new SimClrAugmentationOptions { ColorJitterProbability = 1, Saturation = 0.8, Hue = 0.5 };
        var withoutChroma = new SimClrAugmentationOptions { ColorJitterProbability = 1, Saturation = 0, Hue = 0 };
        using var g1 = new Generator(22);
        using var g2 = new Generator(22);
        var a = new ViewAugmenter(withChroma, shape).MakeView(images, g1);
        var b = new ViewAugmenter(withoutChroma, shape).MakeView(images, g2);
        Assert.Equal(0f, MaxAbsDiff(a, b));
    }

    [Fact]
    public void HueRotationKeepsGrayPixelsAndLuma()
    {
        // A rotation of the YIQ chroma plane leaves gray (zero-chroma) pixels alone.
        using var scope = NewDisposeScope();
        var gray = RandomImages(4, 1, 8, 8).expand(4, 3, 8, 8).contiguous() * 0.5f + 0.25f;
        var options = Identity();
        options.ColorJitterProbability = 1;
        options.Hue = 0.5;
        var augmenter = new ViewAugmenter(options, new ImageShape(3, 8, 8));
        using var g = new Generator(31);
        Assert.True(MaxAbsDiff(augmenter.MakeView(gray, g), gray) < 1e-5f);

        // Mid-range colours (no clamping) keep their luma.
        var colours = RandomImages(4, 3, 8, 8) * 0.1f + 0.45f;
        var view = augmenter.MakeView(colours, g);
        Tensor Luma(Tensor t) => t.select(1, 0) * 0.299f + t.select(1, 1) * 0.587f + t.select(1, 2) * 0.114f;
        Assert.True(MaxAbsDiff(view, colours) > 1e-3f);
        Assert.True(MaxAbsDiff(Luma(view), Luma(colours)) < 1e-4f);
    }

    public static TheoryData<string, Action<SimClrAugmentationOptions>> InvalidOptions => new()
    {
        { nameof(SimClrAugmentationOptions.CropScaleMin), o => o.CropScaleMin = 0 },
        { nameof(SimClrAugmentationOptions.CropScaleMax), o => o.CropScaleMax = 1.5 },
        { nameof(SimClrAugmentationOptions.CropScaleMax), o => { o.CropScaleMin = 0.5; o.CropScaleMax = 0.4; } },
        { nameof(SimClrAugmentationOptions.CropRatioMin), o => o.CropRatioMin = -1 },
        { nameof(SimClrAugmentationOptions.CropRatioMax), o => o.CropRatioMax = 0.5 },
        { nameof(SimClrAugmentationOptions.HorizontalFlipProbability), o => o.HorizontalFlipProbability = 1.1 },
        { nameof(SimClrAugmentationOptions.ColorJitterProbability), o => o.ColorJitterProbability = double.NaN },
        { nameof(SimClrAugmentationOptions.Brightness), o => o.Brightness = -0.1 },
        { nameof(SimClrAugmentationOptions.Contrast), o => o.Contrast = double.PositiveInfinity },
        { nameof(SimClrAugmentationOptions.Saturation), o => o.Saturation = -1 },
        { nameof(SimClrAugmentationOptions.Hue), o => o.Hue = 0.6 },
        { nameof(SimClrAugmentationOptions.GrayscaleProbability), o => o.GrayscaleProbability = -0.2 },
        { nameof(SimClrAugmentationOptions.BlurProbability), o => o.BlurProbability = 2 },
        { nameof(SimClrAugmentationOptions.BlurSigmaMin), o => o.BlurSigmaMin = 0 },
        { nameof(SimClrAugmentationOptions.BlurSigmaMax), o => o.BlurSigmaMax = 0.05 },
        { nameof(SimClrAugmentationOptions.BlurKernelFraction), o => o.BlurKernelFraction = 0 },
    };

    [Theory]
    [MemberData(nameof(InvalidOptions))]
    public void InvalidOptionThrowsNamingTheOption(string name, Action<SimClrAugmentationOptions> spoil)
    {
        var options = new SimClrAugmentationOptions();
        spoil(options);
        var ex = Assert.Throws<ArgumentOutOfRangeException>(options.Validate);
        Assert.Equal(name, ex.ParamName);
        Assert.Contains("must be in", ex.Message);
        Assert.Contains("found", ex.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => new ViewAugmenter(options, new ImageShape(1, 28, 28)));
    }

    [Fact]
    public void DefaultAndSmallGrayscaleOptionsAreValid()
    {
        new SimClrAugmentationOptions().Validate();
        var small = SimClrAugmentationOptions.ForSmallGrayscale();
        small.Validate();
        Assert.Equal(0, small.BlurProbability);
        Assert.Equal(3, new ViewAugmenter(new SimClrAugmentationOptions(), new ImageShape(1, 28, 28)).KernelSize);
        Assert.Equal(23, new ViewAugmenter(new SimClrAugmentationOptions(), new ImageShape(3, 224, 224)).KernelSize);
    }

    [Fact]
    public void EmptyBatchGivesAnEmptyView()
    {
        using var scope = NewDisposeScope();
        var augmenter = new ViewAugmenter(new SimClrAugmentationOptions(), new ImageShape(3, 8, 8));
        using var g = new Generator(1);
        Assert.Equal(new long[] { 0, 3, 8, 8 }, augmenter.MakeView(zeros(0, 3, 8, 8), g).shape);
    }

    [Fact]
    public void RejectsMismatchedInputAndUnsupportedChannelCounts()
    {
        using var scope = NewDisposeScope();
        var augmenter = new ViewAugmenter(new SimClrAugmentationOptions(), new ImageShape(1, 28, 28));
        using var g = new Generator(1);
        Assert.Throws<ArgumentException>(() => augmenter.MakeView(zeros(2, 3, 28, 28), g));
        Assert.Throws<ArgumentException>(() => augmenter.MakeView(zeros(2, 784), g));
        Assert.Throws<ArgumentException>(() => augmenter.MakeView(zeros(new long[] { 2, 1, 28, 28 }, dtype: ScalarType.Int32), g));
        Assert.Throws<ArgumentException>(() => new ViewAugmenter(new SimClrAugmentationOptions(), new ImageShape(2, 28, 28)));
    }
}
