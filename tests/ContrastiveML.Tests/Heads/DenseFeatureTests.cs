using ContrastiveML.Encoders;
using ContrastiveML.Heads;
using ContrastiveML.Onnx;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace ContrastiveML.Tests;

/// <summary>The dense pieces of DenseCL: the projection head cell by cell, the grid pooling, and its ONNX export with parity.</summary>
public class DenseFeatureTests
{
    [Fact]
    public void DenseProjectionHeadAppliesTheSameTwoLayerMlpToEveryCell()
    {
        using var head = new DenseProjectionHead(inputChannels: 3, hiddenChannels: 4, outputChannels: 2);
        using var scope = NewDisposeScope();
        var grid = rand(new long[] { 2, 3, 2, 3 }, generator: new Generator(5)) - 0.5f;
        var output = head.forward(grid);
        Assert.Equal(new long[] { 2, 2, 2, 3 }, output.shape);

        var p = head.named_parameters().ToDictionary(x => x.name, x => x.parameter.detach().reshape(-1).data<float>().ToArray());
        float[] x = grid.data<float>().ToArray(), y = output.detach().data<float>().ToArray();
        for (int n = 0; n < 2; n++)
        for (int cell = 0; cell < 6; cell++)
        {
            // hidden = relu(W1 x + b1), out = W2 hidden + b2, in doubles, with x the cell's 3 channels.
            var hidden = new double[4];
            for (int h = 0; h < 4; h++)
            {
                double sum = p["hidden.bias"][h];
                for (int c = 0; c < 3; c++) sum += p["hidden.weight"][h * 3 + c] * x[(n * 3 + c) * 6 + cell];
                hidden[h] = Math.Max(0, sum);
            }
            for (int o = 0; o < 2; o++)
            {
                double sum = p["output.bias"][o];
                for (int h = 0; h < 4; h++) sum += p["output.weight"][o * 4 + h] * hidden[h];
                Assert.Equal(sum, y[(n * 2 + o) * 6 + cell], 1e-5);
            }
        }
        Assert.Throws<ArgumentException>(() => head.forward(zeros(2, 5, 2, 2)));
    }

    [Fact]
    public void AdaptivePoolingMatrixHasPyTorchsCells()
    {
        // 7 -> 3: cells [0, 3), [2, 5), [4, 7) (floor(i*7/3) to ceil((i+1)*7/3)), each averaged over 3 inputs.
        float third = 1f / 3;
        Assert.Equal(new[]
        {
            third, third, third, 0, 0, 0, 0,
            0, 0, third, third, third, 0, 0,
            0, 0, 0, 0, third, third, third,
        }, OnnxLayers.AdaptivePoolingMatrix(7, 3));
        // 4 -> 2: plain halves.
        Assert.Equal(new[] { 0.5f, 0.5f, 0, 0, 0, 0, 0.5f, 0.5f }, OnnxLayers.AdaptivePoolingMatrix(4, 2));
    }

    [Theory]
    [InlineData(16, 16, 3)] // a 4x4 map to 3x3: overlapping cells
    [InlineData(20, 28, 2)] // a 5x7 map to 2x2: unequal cells
    [InlineData(28, 28, 7)] // the map itself
    public void TheExportedDenseGridMatchesTorchSharpsAdaptivePooling(int height, int width, int grid)
    {
        using var encoder = EncoderFactory.Create(EncoderKind.CompactCnn, new ImageShape(1, height, width), 4);
        EncoderTestKit.TrainBriefly(encoder);
        var normalization = EncoderTestKit.Normalization(1);
        long denseWidth = (long)encoder.FeatureMapChannels * grid * grid;
        byte[] onnx = OnnxExporter.Export(encoder, 1, height, width, normalization, new Dictionary<string, string>(), "pixels", (graph, input) =>
        {
            string map = encoder.ExportOnnxFeatureMap(graph, input);
            string dense = OnnxLayers.Flatten(graph, DenseFeatureGrid.ExportOnnx(graph, map, encoder, grid));
            return new[] { new OnnxOutput("embedding", encoder.ExportOnnxPooling(graph, map), encoder.EmbeddingDim), new OnnxOutput("dense", dense, denseWidth) };
        });
        float[] pixels = EncoderTestKit.RawPixels(5, encoder.InputShape, seed: 9);
        Func<Tensor, Tensor> Normalized(Func<Tensor, Tensor> f) => raw => f(normalization.Apply(raw, 1, height, width));

        double dense = OnnxParity.Verify(onnx, pixels, 5, Normalized(x => F.adaptive_avg_pool2d(encoder.ForwardFeatureMap(x), new long[] { grid, grid }).flatten(1)),
                                         1e-4, "dense");
        double embedding = OnnxParity.Verify(onnx, pixels, 5, Normalized(encoder.forward), 1e-4, "embedding");
        Assert.InRange(dense, 0, 1e-4);
        Assert.InRange(embedding, 0, 1e-4);
        var (_, shape) = OnnxParity.Run(onnx, pixels, 5, "dense");
        Assert.Equal(new long[] { 5, denseWidth }, shape);
        var error = Assert.Throws<ArgumentException>(() => OnnxParity.Run(onnx, pixels, 5, "missing"));
        Assert.Contains("'embedding', 'dense'", error.Message);
    }

    [Fact]
    public void GridSizeResolvesToSevenOrTheMapAndRejectsALargerGrid()
    {
        using var mnist = EncoderFactory.Create(EncoderKind.CompactCnn, new ImageShape(1, 28, 28), 4);   // 7x7 map
        using var large = EncoderFactory.Create(EncoderKind.CompactCnn, new ImageShape(1, 64, 64), 4);   // 16x16 map
        using var resnet = EncoderFactory.Create(EncoderKind.ResNet18, new ImageShape(3, 32, 32), 4);    // 4x4 map
        Assert.Equal(7, DenseFeatureGrid.Resolve(null, mnist, "GridSize"));
        Assert.Equal(7, DenseFeatureGrid.Resolve(null, large, "GridSize"));
        Assert.Equal(4, DenseFeatureGrid.Resolve(null, resnet, "GridSize"));
        Assert.Equal(3, DenseFeatureGrid.Resolve(3, resnet, "GridSize"));
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => DenseFeatureGrid.Resolve(5, resnet, "GridSize"));
        Assert.Equal("GridSize", error.ParamName);
        Assert.Contains("at most 4", error.Message);
    }
}
