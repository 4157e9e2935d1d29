using ContrastiveML.Methods.Cmc;
using ContrastiveML.Onnx;
using static TorchSharp.torch;

namespace ContrastiveML.Tests;

/// <summary>
/// CMC's view splits: sRGB to Lab against published values and an independent double-precision implementation, the
/// frequency bands against hand-computed blurs, view shapes, the channel-count errors, and ONNX Runtime parity of every split.
/// </summary>
public class CmcViewSplitTests
{
    /// <summary>Wraps a splitter as an exportable module whose output is every view, flattened and concatenated.</summary>
    private sealed class SplitModule : nn.Module<Tensor, Tensor>, IOnnxExportable
    {
        private readonly CmcViewSplitter _splitter;

        public SplitModule(CmcViewSplitter splitter) : base(nameof(SplitModule)) => _splitter = splitter;

        public override Tensor forward(Tensor input) => cat(_splitter.Split(input).Select(v => v.flatten(1)).ToArray(), 1);

        public string ExportOnnx(OnnxGraphBuilder graph, string input) =>
            OnnxTensorOps.Concat(graph, _splitter.ExportOnnx(graph, input).Select(v => OnnxLayers.Flatten(graph, v)).ToArray(), 1);
    }

    /// <summary>sRGB (0..255) to Lab in plain doubles, written from the standard definitions (not from the code under test).</summary>
    private static (double L, double A, double B) ReferenceLab(double r, double g, double b)
    {
        static double Linear(double c)
        {
            c /= 255.0;
            return c <= 0.04045 ? c / 12.92 : Math.Pow((c + 0.055) / 1.055, 2.4);
        }
        double R = Linear(r), G = Linear(g), B = Linear(b);
        double x = (0.4124564 * R + 0.3575761 * G + 0.1804375 * B) / 0.95047;
        double y = 0.2126729 * R + 0.7151522 * G + 0.0721750 * B;
        double z = (0.0193339 * R + 0.1191920 * G + 0.9503041 * B) / 1.08883;
        static double F(double t) => t > 216.0 / 24389.0 ? Math.Cbrt(t) : t * 24389.0 / 27.0 / 116.0 + 16.0 / 116.0;
        return (116 * F(y) - 16, 500 * (F(x) - F(y)), 200 * (F(y) - F(z)));
    }

    private static float[] Lab(params (float R, float G, float B)[] pixels)
    {
        using var scope = NewDisposeScope();
        // [N, 3, 1, 1]: one pixel per image.
        var rgb = tensor(pixels.SelectMany(p => new[] { p.R / 255f, p.G / 255f, p.B / 255f }).ToArray(), new long[] { pixels.Length, 3, 1, 1 });
        return LabConversion.RgbToLab(rgb).data<float>().ToArray();
    }

    [Theory]
    [InlineData(255, 0, 0, 53.24, 80.09, 67.20)]     // pure red
    [InlineData(0, 255, 0, 87.73, -86.18, 83.18)]    // pure green
    [InlineData(0, 0, 255, 32.30, 79.19, -107.86)]   // pure blue
    [InlineData(255, 255, 255, 100.0, 0.0, 0.0)]     // white
    [InlineData(128, 128, 128, 53.59, 0.0, 0.0)]     // mid grey
    [InlineData(0, 0, 0, 0.0, 0.0, 0.0)]             // black
    public void RgbToLabGivesThePublishedValues(float r, float g, float b, double l, double a, double bStar)
    {
        float[] lab = Lab((r, g, b));
        Assert.Equal(l, lab[0], 0.02);
        Assert.Equal(a, lab[1], 0.02);
        Assert.Equal(bStar, lab[2], 0.02);
    }

    [Fact]
    public void RgbToLabMatchesADoublePrecisionReferenceAcrossTheCube()
    {
        // Random colours plus values on both sides of the gamma threshold (0.04045 * 255 = 10.31) and of f's knee (dark colours).
        var random = new Random(5);
        var pixels = Enumerable.Range(0, 200).Select(_ => ((float)random.Next(256), (float)random.Next(256), (float)random.Next(256)))
            .Concat(new[] { (10f, 10f, 10f), (11f, 11f, 11f), (2f, 0f, 1f), (0f, 3f, 0f), (255f, 255f, 0f) }).ToArray();
        float[] lab = Lab(pixels);
        for (int i = 0; i < pixels.Length; i++)
        {
            var (l, a, b) = ReferenceLab(pixels[i].Item1, pixels[i].Item2, pixels[i].Item3);
            Assert.Equal(l, lab[3 * i], 0.01);
            Assert.Equal(a, lab[3 * i + 1], 0.02);
            Assert.Equal(b, lab[3 * i + 2], 0.02);
        }
    }

    [Fact]
    public void RgbToLabClipsValuesOutsideTheUnitRange()
    {
        using var scope = NewDisposeScope();
        var outside = tensor(new[] { -0.5f, 1.5f, 2f }, new long[] { 1, 3, 1, 1 });
        var clipped = tensor(new[] { 0f, 1f, 1f }, new long[] { 1, 3, 1, 1 });
        Assert.Equal(LabConversion.RgbToLab(clipped).data<float>().ToArray(), LabConversion.RgbToLab(outside).data<float>().ToArray());
    }

    [Fact]
    public void LabSplitsGiveLAndAbOrThreeChannelsScaledToAboutUnitRange()
    {
        using var scope = NewDisposeScope();
        // Pure red and white, 2x2 images of one colour each.
        var images = tensor(new float[] { 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1 }, new long[] { 2, 3, 2, 2 });
        Tensor[] views = new LabViewSplitter(separateChroma: false).Split(images);
        Assert.Equal(2, views.Length);
        Assert.Equal(new long[] { 2, 1, 2, 2 }, views[0].shape);
        Assert.Equal(new long[] { 2, 2, 2, 2 }, views[1].shape);
        // L: (53.24 - 50) / 50 for red, (100 - 50) / 50 for white; a of red: (80.09 - 6.025) / 92.208.
        Assert.Equal((53.24 - 50) / 50, views[0][0, 0, 0, 0].item<float>(), 0.001);
        Assert.Equal(1.0, views[0][1, 0, 1, 1].item<float>(), 0.001);
        Assert.Equal((80.09 - 6.025) / 92.208, views[1][0, 0, 0, 0].item<float>(), 0.001);

        Tensor[] three = new LabViewSplitter(separateChroma: true).Split(images);
        Assert.Equal(3, three.Length);
        Assert.All(three, v => Assert.Equal(new long[] { 2, 1, 2, 2 }, v.shape));
        Assert.Equal(views[1].narrow(1, 1, 1).data<float>().ToArray(), three[2].data<float>().ToArray());
    }

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    public void FrequencyBandsHaveOneChannelEachAndSumToTheStandardisedImage(int bands)
    {
        var shape = new ImageShape(1, 12, 10);
        var splitter = new FrequencyViewSplitter(shape, bands, mean: 0.3f, std: 0.2f, sigma: 0);
        using var scope = NewDisposeScope();
        var images = rand(new long[] { 4, 1, 12, 10 }, generator: new TorchSharp.torch.Generator(3));
        Tensor[] views = splitter.Split(images);
        Assert.Equal(bands, views.Length);
        Assert.All(views, v => Assert.Equal(new long[] { 4, 1, 12, 10 }, v.shape));
        Tensor sum = views.Aggregate((a, b) => a.add(b));
        Tensor standardised = images.sub(0.3f).div(0.2f);
        Assert.True(sum.sub(standardised).abs().max().item<float>() < 1e-5f);
        Assert.Equal(bands == 2 ? new[] { 10.0 / 14 } : new[] { 10.0 / 14, 20.0 / 14 }, splitter.Sigmas);
    }

    [Fact]
    public void LowBandIsTheGaussianBlurAndAFlatImageHasNoHighBand()
    {
        var shape = new ImageShape(1, 16, 16);
        var splitter = new FrequencyViewSplitter(shape, bands: 2, mean: 0f, std: 1f, sigma: 1.0);
        using var scope = NewDisposeScope();
        // A unit impulse at (8, 8): away from the border the low band is the normalised Gaussian g(dy) g(dx), radius 3.
        var impulse = zeros(1, 1, 16, 16);
        impulse[0, 0, 8, 8] = tensor(1f);
        Tensor low = splitter.Split(impulse)[0];
        double[] g = Enumerable.Range(-3, 7).Select(i => Math.Exp(-i * i / 2.0)).ToArray();
        double total = g.Sum();
        foreach (var (dy, dx) in new[] { (0, 0), (1, 0), (2, -1), (3, 3), (0, -2) })
        {
            Assert.Equal(g[dy + 3] / total * (g[dx + 3] / total), low[0, 0, 8 + dy, 8 + dx].item<float>(), 1e-6);
        }
        Assert.Equal(0f, low[0, 0, 8, 12].item<float>()); // beyond the radius

        // A flat image: the normalised blur keeps it flat up to the border, so the high band is zero everywhere.
        Tensor[] flat = splitter.Split(full(new long[] { 1, 1, 16, 16 }, 0.7f));
        Assert.True(flat[1].abs().max().item<float>() < 1e-5f);
        Assert.True(flat[0].sub(0.7f).abs().max().item<float>() < 1e-5f);
    }

    [Theory]
    [InlineData(CmcViewSplit.Auto, 2, "2-channel")]
    [InlineData(CmcViewSplit.Auto, 4, "4-channel")]
    [InlineData(CmcViewSplit.LuminanceChroma, 1, "TwoFrequencyBands")]
    [InlineData(CmcViewSplit.LabChannels, 4, "needs 3-channel images")]
    [InlineData(CmcViewSplit.TwoFrequencyBands, 3, "LuminanceChroma")]
    [InlineData(CmcViewSplit.ThreeFrequencyBands, 2, "needs 1-channel images")]
    public void SplitsThatDoNotExistForTheChannelCountNameTheOption(CmcViewSplit split, int channels, string expected)
    {
        var error = Assert.Throws<ArgumentException>(() => CmcViewSplitter.Resolve(split, channels));
        Assert.Equal(nameof(CmcOptions.ViewSplit), error.ParamName);
        Assert.Contains(expected, error.Message);
        Assert.Contains($"ImageShape.Channels is {channels}", error.Message);
    }

    [Theory]
    [InlineData(CmcViewSplit.Auto, 3, CmcViewSplit.LuminanceChroma)]
    [InlineData(CmcViewSplit.Auto, 1, CmcViewSplit.TwoFrequencyBands)]
    [InlineData(CmcViewSplit.LabChannels, 3, CmcViewSplit.LabChannels)]
    [InlineData(CmcViewSplit.ThreeFrequencyBands, 1, CmcViewSplit.ThreeFrequencyBands)]
    public void AutoPicksLabForColourAndBandsForGray(CmcViewSplit split, int channels, CmcViewSplit expected) =>
        Assert.Equal(expected, CmcViewSplitter.Resolve(split, channels));

    [Theory]
    [InlineData(CmcViewSplit.LuminanceChroma, 3)]
    [InlineData(CmcViewSplit.LabChannels, 3)]
    [InlineData(CmcViewSplit.TwoFrequencyBands, 1)]
    [InlineData(CmcViewSplit.ThreeFrequencyBands, 1)]
    public void OnnxRuntimeComputesTheSameViews(CmcViewSplit split, int channels)
    {
        var shape = new ImageShape(channels, 9, 7);
        var splitter = CmcViewSplitter.Create(split, shape, mean: 0.28f, std: 0.35f, lowPassSigma: 0);
        using var module = new SplitModule(splitter);
        float[] raw = EncoderTestKit.RawPixels(5, shape, seed: 2);
        // Values outside 0..255 and at the gamma threshold exercise the clip and both branches of each piecewise step.
        raw[0] = -20f;
        raw[1] = 300f;
        raw[2] = 0.04045f * 255f;
        raw[3] = 0f;
        var normalization = new OnnxInputNormalization(1f / 255f, new float[channels], Enumerable.Repeat(1f, channels).ToArray());
        byte[] onnx = OnnxExporter.Export(module, channels, shape.Height, shape.Width, normalization, new Dictionary<string, string>());
        double difference = OnnxParity.MaxAbsDifference(onnx, raw, 5, r => module.forward(normalization.Apply(r, channels, shape.Height, shape.Width)));
        Assert.True(difference < 1e-4, $"max |ONNX - TorchSharp| = {difference}");
    }
}
