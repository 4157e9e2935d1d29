using ContrastiveML.Encoders;
using Xunit.Abstractions;
using ContrastiveML.Onnx;
using Microsoft.ML.OnnxRuntime;
using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace ContrastiveML.Tests;

/// <summary>ONNX export of the shipped encoders checked against TorchSharp with ONNX Runtime.</summary>
public class OnnxExportTests(ITestOutputHelper output)
{
    private const double Tolerance = 1e-4;

    [Fact]
    public void CompactCnnMatchesOnnxRuntimeAfterTraining()
    {
        var shape = new ImageShape(1, 28, 28);
        using var encoder = EncoderFactory.Create(EncoderKind.CompactCnn, shape, 16);
        EncoderTestKit.TrainBriefly(encoder);
        var normalization = EncoderTestKit.Normalization(1);

        var model = EncoderTestKit.Export(encoder);

        var difference = OnnxParity.Verify(model, EncoderTestKit.RawPixels(6, shape, seed: 11), 6, EncoderTestKit.Reference(encoder, normalization), Tolerance);
        output.WriteLine($"CompactCnn w=16 1x28x28: {model.Length} bytes, max abs difference {difference:G3}");
        Assert.InRange(difference, 0, Tolerance);
    }

    [Fact]
    public void ResNet18MatchesOnnxRuntimeAfterTraining()
    {
        var shape = new ImageShape(3, 32, 32);
        using var encoder = EncoderFactory.Create(EncoderKind.ResNet18, shape, 8);
        EncoderTestKit.TrainBriefly(encoder);
        var normalization = EncoderTestKit.Normalization(3);

        var model = EncoderTestKit.Export(encoder);

        var difference = OnnxParity.Verify(model, EncoderTestKit.RawPixels(4, shape, seed: 12), 4, EncoderTestKit.Reference(encoder, normalization), Tolerance);
        output.WriteLine($"ResNet18 w=8 3x32x32: {model.Length} bytes, max abs difference {difference:G3}");
        Assert.InRange(difference, 0, Tolerance);
    }

    [Theory]
    [InlineData(EncoderKind.CompactCnn, 1, 28, 28, 4 * 8 * 4)]  // 7x7 last map: odd, the quadrants share the middle line
    [InlineData(EncoderKind.CompactCnn, 3, 32, 24, 4 * 8 * 4)]  // 8x6 last map: exact quadrants
    [InlineData(EncoderKind.ResNet18, 3, 20, 20, 8 * 4 * 4)]    // 3x3 last map
    public void QuadrantPoolingMatchesOnnxRuntime(EncoderKind kind, int channels, int height, int width, int expectedDim) =>
        GridPoolingMatchesOnnxRuntime(kind, EmbeddingPooling.Quadrants, channels, height, width, expectedDim);

    [Theory]
    [InlineData(EncoderKind.CompactCnn, 1, 28, 28, 4 * 8 * 9)]  // 7x7 last map: cells of 3 with stride 2
    [InlineData(EncoderKind.CompactCnn, 3, 24, 36, 4 * 8 * 9)]  // 6x9 last map: exact cells
    public void Grid3x3PoolingMatchesOnnxRuntime(EncoderKind kind, int channels, int height, int width, int expectedDim) =>
        GridPoolingMatchesOnnxRuntime(kind, EmbeddingPooling.Grid3x3, channels, height, width, expectedDim);

    private static void GridPoolingMatchesOnnxRuntime(EncoderKind kind, EmbeddingPooling pooling, int channels, int height, int width, int expectedDim)
    {
        var shape = new ImageShape(channels, height, width);
        using var encoder = EncoderFactory.Create(kind, shape, kind == EncoderKind.CompactCnn ? 8 : 4, pooling);
        Assert.Equal(expectedDim, encoder.EmbeddingDim);
        EncoderTestKit.TrainBriefly(encoder);
        var normalization = EncoderTestKit.Normalization(channels);

        var model = EncoderTestKit.Export(encoder);

        var difference = OnnxParity.Verify(model, EncoderTestKit.RawPixels(3, shape, seed: 21), 3, EncoderTestKit.Reference(encoder, normalization), Tolerance);
        Assert.InRange(difference, 0, Tolerance);
    }

    [Fact]
    public void QuadrantPoolingAveragesEachQuadrantOfTheLastMap()
    {
        // A 4x4 map pools to its four 2x2 quadrants, in row-major order per channel.
        using var pool = EmbeddingPoolingLayers.Create(EmbeddingPooling.Quadrants, 4, 4, "test");
        using var map = arange(16, dtype: float32).reshape(1, 1, 4, 4);
        float[] pooled = pool.forward(map).flatten().data<float>().ToArray();
        Assert.Equal(new float[] { 2.5f, 4.5f, 10.5f, 12.5f }, pooled);
        // A 3x3 grid on a 4x4 map: 2x2 cells with stride 1.
        using var grid = EmbeddingPoolingLayers.Create(EmbeddingPooling.Grid3x3, 4, 4, "test");
        Assert.Equal(new float[] { 2.5f, 3.5f, 4.5f, 6.5f, 7.5f, 8.5f, 10.5f, 11.5f, 12.5f }, grid.forward(map).flatten().data<float>().ToArray());
        Assert.Throws<ArgumentException>(() => EmbeddingPoolingLayers.Create(EmbeddingPooling.Quadrants, 1, 4, "test"));
    }

    [Fact]
    public void ExportedModelRunsAnyBatchSize()
    {
        var shape = new ImageShape(1, 16, 16);
        using var encoder = new CompactCnnEncoder(shape, width: 4);
        EncoderTestKit.TrainBriefly(encoder);
        var reference = EncoderTestKit.Reference(encoder, EncoderTestKit.Normalization(1));
        var model = EncoderTestKit.Export(encoder);
        var pixels = EncoderTestKit.RawPixels(5, shape, seed: 13);

        var (single, singleShape) = OnnxParity.Run(model, pixels[..shape.Size], 1);
        var (five, fiveShape) = OnnxParity.Run(model, pixels, 5);

        Assert.Equal(new long[] { 1, 16 }, singleShape);
        Assert.Equal(new long[] { 5, 16 }, fiveShape);
        // Row 0 does not depend on the rest of the batch (eval-mode BatchNorm uses running statistics).
        for (var i = 0; i < single.Length; i++) Assert.Equal(single[i], five[i], 1e-5f);
        OnnxParity.Verify(model, pixels[..shape.Size], 1, reference, Tolerance);
        OnnxParity.Verify(model, pixels, 5, reference, Tolerance);
    }

    [Fact]
    public void ModelDeclaresNamesShapesAndMetadata()
    {
        using var encoder = new CompactCnnEncoder(new ImageShape(1, 28, 28), width: 4);
        var metadata = new Dictionary<string, string> { ["method"] = "SimCLR", ["encoder"] = "CompactCnn", ["image_shape"] = "1x28x28" };

        var model = OnnxExporter.Export(encoder, 1, 28, 28, EncoderTestKit.Normalization(1), metadata, inputName: "Pixels", outputName: "Embedding");

        using var session = new InferenceSession(model);
        Assert.Equal("ContrastiveML", session.ModelMetadata.ProducerName);
        Assert.Equal(metadata, session.ModelMetadata.CustomMetadataMap);
        var input = Assert.Single(session.InputMetadata);
        Assert.Equal("Pixels", input.Key);
        Assert.Equal(typeof(float), input.Value.ElementType);
        Assert.Equal(new[] { -1, 784 }, input.Value.Dimensions);
        Assert.Equal(OnnxExporter.BatchDimension, input.Value.SymbolicDimensions[0]);
        var output = Assert.Single(session.OutputMetadata);
        Assert.Equal("Embedding", output.Key);
        Assert.Equal(typeof(float), output.Value.ElementType);
        Assert.Equal(new[] { -1, 16 }, output.Value.Dimensions);
        Assert.Equal(OnnxExporter.BatchDimension, output.Value.SymbolicDimensions[0]);
    }

    [Fact]
    public void ExportLeavesWeightsUnchangedAndRestoresEachModulesMode()
    {
        using var encoder = new ResNet18Encoder(new ImageShape(3, 16, 16), width: 4);
        EncoderTestKit.TrainBriefly(encoder, steps: 1, batch: 4);
        // Mid-training state with one BatchNorm frozen in eval mode, as fine-tuning recipes do.
        encoder.train();
        var frozen = encoder.modules().OfType<TorchSharp.Modules.BatchNorm2d>().First();
        frozen.eval();
        var before = encoder.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.clone());
        var modesBefore = encoder.modules().Select(m => m.training).ToArray();

        EncoderTestKit.Export(encoder);

        Assert.True(encoder.training);
        Assert.Equal(modesBefore, encoder.modules().Select(m => m.training).ToArray());
        Assert.False(frozen.training);
        var after = encoder.state_dict();
        Assert.Equal(before.Keys.OrderBy(k => k), after.Keys.OrderBy(k => k));
        foreach (var (name, value) in before) Assert.True(value.eq(after[name]).all().item<bool>(), $"'{name}' changed during export.");
    }

    [Fact]
    public void VerifyThrowsWhenTheReferenceComputesSomethingElse()
    {
        var shape = new ImageShape(1, 12, 12);
        using var encoder = new CompactCnnEncoder(shape, width: 4);
        using var other = new CompactCnnEncoder(shape, width: 4);
        encoder.eval();
        other.eval();
        var normalization = EncoderTestKit.Normalization(1);
        var model = EncoderTestKit.Export(encoder);
        var pixels = EncoderTestKit.RawPixels(3, shape, seed: 14);

        var error = Assert.Throws<InvalidOperationException>(() => OnnxParity.Verify(model, pixels, 3, EncoderTestKit.Reference(other, normalization)));
        Assert.Contains("max abs difference", error.Message);
        Assert.Contains("tolerance 0.0001", error.Message);
        // A reference that forgets the baked-in normalization is caught too.
        Assert.Throws<InvalidOperationException>(() => OnnxParity.Verify(model, pixels, 3, raw => encoder.forward(raw.reshape(-1, 1, 12, 12))));
    }

    [Fact]
    public void LayerExportersCoverTheSupportedTorchSharpLayers()
    {
        // Layers and options the encoders do not use: conv bias, stride and 'same' padding, a padded strided
        // max-pool, BatchNorm without affine parameters, Linear, Dropout and Identity.
        using var network = new ExportableSequential(
            ("conv_bias_stride", Conv2d(2, 6, kernel_size: 3, stride: 2, padding: 1, bias: true)),
            ("bn_plain", BatchNorm2d(6, affine: false)),
            ("relu", ReLU()),
            ("pool", MaxPool2d(kernel_size: 3, stride: 2, padding: 1)),
            ("conv_same", Conv2d(6, 5, kernel_size: (3, 3), padding: Padding.Same, bias: true)),
            ("bn", BatchNorm2d(5)),
            ("identity", Identity()),
            ("avgpool", AdaptiveAvgPool2d(1)),
            ("flatten", Flatten()),
            ("dropout", Dropout(0.5)),
            ("linear", Linear(5, 3)));
        using (no_grad())
        {
            foreach (var norm in network.modules().OfType<TorchSharp.Modules.BatchNorm2d>())
            {
                norm.running_mean!.uniform_(-0.5, 0.5);
                norm.running_var!.uniform_(0.5, 2.0);
            }
        }
        network.eval();
        var normalization = new OnnxInputNormalization(0.5f, new[] { 0.1f, -0.2f }, new[] { 2f, 0.5f });

        var model = OnnxExporter.Export(network, 2, 11, 9, normalization, new Dictionary<string, string>());

        OnnxParity.Verify(model, EncoderTestKit.RawPixels(3, new ImageShape(2, 11, 9), seed: 15), 3,
            raw => network.forward(normalization.Apply(raw, 2, 11, 9)), Tolerance);
    }

    [Fact]
    public void UnsupportedModulesAndMismatchedNormalizationAreRejected()
    {
        var graph = new OnnxGraphBuilder();
        using var gelu = GELU();
        var error = Assert.Throws<NotSupportedException>(() => OnnxLayers.Export(graph, gelu, "x"));
        Assert.Contains("GELU", error.Message);

        using var encoder = new CompactCnnEncoder(new ImageShape(1, 8, 8), width: 2);
        Assert.Throws<ArgumentException>(() => OnnxExporter.Export(encoder, 1, 8, 8, EncoderTestKit.Normalization(3), new Dictionary<string, string>()));
    }

    [Fact]
    public void GraphBuilderHandsOutUniqueNames()
    {
        var graph = new OnnxGraphBuilder();
        Assert.Equal("conv", graph.UniqueName("conv"));
        Assert.Equal("conv_1", graph.UniqueName("conv"));
        Assert.Equal("conv_2", graph.UniqueName("conv"));
        Assert.Equal("x", graph.AddInput("x", OnnxDimension.Symbolic("batch"), 4));
        Assert.Throws<ArgumentException>(() => graph.AddInput("x", 4));
        var relu = OnnxLayers.Relu(graph, "x");
        Assert.NotEqual(relu, OnnxLayers.Relu(graph, relu));
        Assert.Throws<InvalidOperationException>(() => graph.ToModelBytes());
    }

    /// <summary>A plain Sequential made exportable, to test the Sequential walker and layer exporters directly.</summary>
    private sealed class ExportableSequential : Module<Tensor, Tensor>, IOnnxExportable
    {
        private readonly TorchSharp.Modules.Sequential layers;

        public ExportableSequential(params (string, Module<Tensor, Tensor>)[] modules) : base(nameof(ExportableSequential))
        {
            layers = Sequential(modules);
            RegisterComponents();
        }

        public override Tensor forward(Tensor input) => layers.forward(input);

        public string ExportOnnx(OnnxGraphBuilder graph, string input) => OnnxLayers.Sequential(graph, layers, input, "net");
    }
}
