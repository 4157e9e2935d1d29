using ContrastiveML.Encoders;
using static TorchSharp.torch;

namespace ContrastiveML.Tests;

/// <summary>Encoder construction, output shapes and input validation.</summary>
public class EncoderTests
{
    [Theory]
    [InlineData(EncoderKind.CompactCnn, 1, 28, 28, 0, 128)]
    [InlineData(EncoderKind.CompactCnn, 3, 20, 24, 8, 32)]
    [InlineData(EncoderKind.ResNet18, 3, 32, 32, 8, 64)]
    [InlineData(EncoderKind.ResNet18, 1, 28, 28, 4, 32)]
    public void ForwardReturnsOneEmbeddingPerImage(EncoderKind kind, int channels, int height, int width, int baseWidth, int expectedDim)
    {
        using var encoder = EncoderFactory.Create(kind, new ImageShape(channels, height, width), baseWidth);
        encoder.eval();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var output = encoder.forward(randn(3, channels, height, width));

        Assert.Equal(kind, encoder.Kind);
        Assert.Equal(expectedDim, encoder.EmbeddingDim);
        Assert.Equal(new long[] { 3, expectedDim }, output.shape);
    }

    [Theory]
    [InlineData(EncoderKind.CompactCnn, 1, 28, 28, 4, 16, 7, 7)]   // 4w channels at H/4 x W/4
    [InlineData(EncoderKind.CompactCnn, 3, 20, 24, 8, 32, 5, 6)]
    [InlineData(EncoderKind.ResNet18, 3, 32, 32, 4, 32, 4, 4)]     // 8w channels at ceil(H/8) x ceil(W/8)
    [InlineData(EncoderKind.ResNet18, 1, 28, 28, 4, 32, 4, 4)]     // 28 -> 14 -> 7 -> 4
    public void FeatureMapHasTheDocumentedShapeAndGlobalPoolingOfItIsTheEmbedding(
        EncoderKind kind, int channels, int height, int width, int baseWidth, int mapChannels, int mapHeight, int mapWidth)
    {
        using var encoder = EncoderFactory.Create(kind, new ImageShape(channels, height, width), baseWidth);
        EncoderTestKit.TrainBriefly(encoder); // BatchNorm running statistics away from their initial values
        encoder.eval();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var images = randn(3, channels, height, width);

        var map = encoder.ForwardFeatureMap(images);
        var embedding = encoder.forward(images);

        Assert.Equal((mapChannels, mapHeight, mapWidth), (encoder.FeatureMapChannels, encoder.FeatureMapHeight, encoder.FeatureMapWidth));
        Assert.Equal(new long[] { 3, mapChannels, mapHeight, mapWidth }, map.shape);
        // Global pooling is the spatial mean of every channel, computed here independently of the pooling layer.
        var mean = map.mean(new long[] { 2, 3 });
        Assert.True(mean.allclose(embedding, rtol: 1e-5, atol: 1e-6), $"max |diff| {(mean - embedding).abs().max().item<float>()}");
        Assert.True(encoder.PoolFeatureMap(map).eq(embedding).all().item<bool>());
    }

    [Fact]
    public void QuadrantPoolingOfTheFeatureMapIsTheEmbedding()
    {
        using var encoder = EncoderFactory.Create(EncoderKind.CompactCnn, new ImageShape(1, 16, 16), 4, EmbeddingPooling.Quadrants);
        encoder.eval();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var images = randn(2, 1, 16, 16);

        var map = encoder.ForwardFeatureMap(images); // [2, 16, 4, 4]: quadrants are 2x2 blocks
        var embedding = encoder.forward(images).reshape(2, 16, 2, 2);
        var topLeft = map.narrow(2, 0, 2).narrow(3, 0, 2).mean(new long[] { 2, 3 });
        var bottomRight = map.narrow(2, 2, 2).narrow(3, 2, 2).mean(new long[] { 2, 3 });
        Assert.True(topLeft.allclose(embedding[.., .., 0, 0], rtol: 1e-5, atol: 1e-6));
        Assert.True(bottomRight.allclose(embedding[.., .., 1, 1], rtol: 1e-5, atol: 1e-6));
    }

    [Fact]
    public void FactoryDefaultsGiveTheDocumentedWidths()
    {
        using var compact = EncoderFactory.Create(EncoderKind.CompactCnn, new ImageShape(1, 28, 28));
        using var resnet = EncoderFactory.Create(EncoderKind.ResNet18, new ImageShape(3, 32, 32));

        Assert.IsType<CompactCnnEncoder>(compact);
        Assert.Equal(CompactCnnEncoder.DefaultWidth, compact.BaseWidth);
        Assert.Equal(128, compact.EmbeddingDim);
        Assert.IsType<ResNet18Encoder>(resnet);
        Assert.Equal(ResNet18Encoder.DefaultWidth, resnet.BaseWidth);
        Assert.Equal(512, resnet.EmbeddingDim);
        Assert.Equal(new ImageShape(3, 32, 32), resnet.InputShape);
        // ResNet-18 at width 64 for 3 channels has the familiar ~11.2M backbone parameters.
        var parameterCount = resnet.parameters().Sum(p => p.numel());
        Assert.InRange(parameterCount, 11_000_000, 11_300_000);
    }

    [Fact]
    public void ForwardRejectsImagesOfAnotherShape()
    {
        using var encoder = EncoderFactory.Create(EncoderKind.CompactCnn, new ImageShape(1, 28, 28), 4);
        using var wrong = zeros(2, 3, 28, 28);
        var error = Assert.Throws<ArgumentException>(() => encoder.forward(wrong));
        Assert.Contains("[N, 1, 28, 28]", error.Message);
    }

    [Fact]
    public void InvalidConfigurationsAreRejected()
    {
        Assert.Throws<ArgumentException>(() => new CompactCnnEncoder(new ImageShape(1, 3, 28)));
        Assert.Throws<ArgumentOutOfRangeException>(() => EncoderFactory.Create(EncoderKind.ResNet18, new ImageShape(3, 32, 32), -1));
        Assert.Throws<ArgumentOutOfRangeException>(() => EncoderFactory.Create((EncoderKind)42, new ImageShape(3, 32, 32)));
    }

    [Fact]
    public void TrainingStepUpdatesBatchNormRunningStatistics()
    {
        using var encoder = new CompactCnnEncoder(new ImageShape(1, 12, 12), width: 4);
        var before = encoder.state_dict()["layers.bn1.running_mean"].clone();
        EncoderTestKit.TrainBriefly(encoder, steps: 1, batch: 4);
        var after = encoder.state_dict()["layers.bn1.running_mean"];
        Assert.False(before.allclose(after));
        Assert.False(encoder.training);
    }

    [Fact]
    public void BenchmarkReportsAPositiveRateAndKeepsWeightsAndMode()
    {
        using var encoder = new CompactCnnEncoder(new ImageShape(1, 8, 8), width: 2);
        encoder.eval();
        var weight = encoder.parameters().First().clone();

        var rate = EncoderBenchmark.ForwardBackwardImagesPerSecond(encoder, batchSize: 4, steps: 2);

        Assert.True(rate > 0 && double.IsFinite(rate), $"rate {rate}");
        Assert.False(encoder.training);
        Assert.True(weight.eq(encoder.parameters().First()).all().item<bool>());
    }
}
