using System.Text;
using ContrastiveML.Encoders;
using ContrastiveML.Methods.Cmc;
using ContrastiveML.Onnx;
using static TorchSharp.torch;

namespace ContrastiveML.Tests;

/// <summary>CMC's composite encoder: the concatenated per-view features, and ONNX Runtime parity of view split + encoders + concat.</summary>
public class CmcEncoderTests
{
    private static OnnxInputNormalization ScaleOnly(int channels) =>
        new(1f / 255f, new float[channels], Enumerable.Repeat(1f, channels).ToArray());

    private static CmcEncoder Create(CmcViewSplit split, ImageShape shape, EncoderKind kind, int width, EmbeddingPooling pooling) =>
        CmcEncoder.Create(shape, CmcViewSplitter.Create(split, shape, 0.3f, 0.25f, 0), kind, width, pooling);

    /// <summary>A few train-mode steps so weights and BatchNorm statistics move off their initial values.</summary>
    private static void TrainBriefly(CmcEncoder encoder)
    {
        ImageShape shape = encoder.InputShape;
        using var optimizer = optim.SGD(encoder.parameters(), learningRate: 0.05);
        encoder.train();
        for (int step = 0; step < 2; step++)
        {
            using var scope = NewDisposeScope();
            var raw = tensor(EncoderTestKit.RawPixels(8, shape, step), new long[] { 8, shape.Size });
            var loss = encoder.forward(ScaleOnly(shape.Channels).Apply(raw, shape.Channels, shape.Height, shape.Width)).sub(1f).pow(2).mean();
            optimizer.zero_grad();
            loss.backward();
            optimizer.step();
        }
        encoder.eval();
    }

    [Theory]
    [InlineData(CmcViewSplit.LuminanceChroma, 3, EmbeddingPooling.Global, 2 * 16)]
    [InlineData(CmcViewSplit.LabChannels, 3, EmbeddingPooling.Quadrants, 3 * 16 * 4)]
    [InlineData(CmcViewSplit.TwoFrequencyBands, 1, EmbeddingPooling.Grid3x3, 2 * 16 * 9)]
    [InlineData(CmcViewSplit.ThreeFrequencyBands, 1, EmbeddingPooling.Global, 3 * 16)]
    public void OnnxRuntimeMatchesTorchSharpAfterTraining(CmcViewSplit split, int channels, EmbeddingPooling pooling, int expectedDim)
    {
        var shape = new ImageShape(channels, 12, 12);
        using CmcEncoder encoder = Create(split, shape, EncoderKind.CompactCnn, 4, pooling);
        Assert.Equal(expectedDim, encoder.EmbeddingDim);
        TrainBriefly(encoder);
        byte[] onnx = OnnxExporter.Export(encoder, channels, 12, 12, ScaleOnly(channels), new Dictionary<string, string>());
        float[] raw = EncoderTestKit.RawPixels(6, shape, seed: 9);
        double difference = OnnxParity.MaxAbsDifference(onnx, raw, 6,
            r => encoder.forward(ScaleOnly(channels).Apply(r, channels, 12, 12)));
        Assert.True(difference < 1e-4, $"max |ONNX - TorchSharp| = {difference}");
        var (values, outputShape) = OnnxParity.Run(onnx, raw, 6);
        Assert.Equal(new long[] { 6, expectedDim }, outputShape);
        Assert.All(values, v => Assert.True(float.IsFinite(v)));
    }

    [Fact]
    public void TheGraphHoldsTheLabConversionTheSplitAndTheConcat()
    {
        var shape = new ImageShape(3, 8, 8);
        using CmcEncoder encoder = Create(CmcViewSplit.LuminanceChroma, shape, EncoderKind.CompactCnn, 4, EmbeddingPooling.Global);
        string graph = Encoding.ASCII.GetString(OnnxExporter.Export(encoder, 3, 8, 8, ScaleOnly(3), new Dictionary<string, string>()));
        foreach (string op in new[] { "Pow", "Where", "Slice", "Concat", "rgb_to_lab", "view_L", "view_ab" }) Assert.Contains(op, graph);
    }

    [Fact]
    public void TheEmbeddingConcatenatesTheViewEncodersInViewOrder()
    {
        var shape = new ImageShape(1, 8, 8);
        using CmcEncoder encoder = Create(CmcViewSplit.TwoFrequencyBands, shape, EncoderKind.CompactCnn, 4, EmbeddingPooling.Global);
        encoder.eval();
        using var scope = NewDisposeScope();
        var images = rand(3, 1, 8, 8);
        Tensor[] views = encoder.Splitter.Split(images);
        Tensor expected = cat(new[] { encoder.ViewEncoder(0).forward(views[0]), encoder.ViewEncoder(1).forward(views[1]) }, 1);
        Assert.Equal(expected.data<float>().ToArray(), encoder.forward(images).data<float>().ToArray());
        Assert.Equal(1, encoder.ViewEncoder(1).InputShape.Channels);
        Assert.Equal(4, encoder.BaseWidth);
    }

    [Fact]
    public void ResNetViewsExportToo()
    {
        var shape = new ImageShape(3, 8, 8);
        using CmcEncoder encoder = Create(CmcViewSplit.LuminanceChroma, shape, EncoderKind.ResNet18, 4, EmbeddingPooling.Global);
        Assert.Equal(EncoderKind.ResNet18, encoder.Kind);
        TrainBriefly(encoder);
        byte[] onnx = OnnxExporter.Export(encoder, 3, 8, 8, ScaleOnly(3), new Dictionary<string, string>());
        double difference = OnnxParity.MaxAbsDifference(onnx, EncoderTestKit.RawPixels(4, shape, seed: 4), 4,
            r => encoder.forward(ScaleOnly(3).Apply(r, 3, 8, 8)));
        Assert.True(difference < 1e-4, $"max |ONNX - TorchSharp| = {difference}");
    }
}
