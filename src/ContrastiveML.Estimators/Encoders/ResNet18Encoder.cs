using ContrastiveML.Onnx;
using ContrastiveML.Training;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace ContrastiveML.Encoders;

/// <summary>
/// CIFAR-style ResNet-18: a 3x3 stride-1 stem (conv+BN+ReLU, no max-pool, since 32x32 images cannot afford
/// ImageNet's 4x early downsampling), four stages of two <see cref="BasicBlock"/>s with widths w, 2w, 4w, 8w
/// (stages 2-4 halve the resolution), then global average pooling → 8w features.
/// </summary>
public sealed class ResNet18Encoder : ImageEncoder
{
    /// <summary>The default channel width w (embedding 8w = 512), as in the original ResNet-18.</summary>
    public const int DefaultWidth = 64;

    // Stem, the four stages (each a Sequential of two blocks) and the pooling, in order.
    private readonly Sequential layers;

    /// <summary>Creates a randomly initialized ResNet-18 for images of <paramref name="shape"/> with base width <paramref name="width"/>.</summary>
    /// <param name="shape">The input image shape.</param>
    /// <param name="width">The base channel width w.</param>
    /// <param name="pooling">How the last feature map (1/8 of the input size, rounded up) becomes the embedding.</param>
    public ResNet18Encoder(ImageShape shape, int width = DefaultWidth, EmbeddingPooling pooling = EmbeddingPooling.Global)
        : base(nameof(ResNet18Encoder), shape, 8 * CheckWidth(width) * EmbeddingPoolingLayers.Cells(pooling), width,
               8 * width, MapSide(shape.Height), MapSide(shape.Width))
    {
        var modules = new List<(string, Module<Tensor, Tensor>)>
        {
            ("stem_conv", Conv2d(shape.Channels, width, kernel_size: 3, stride: 1, padding: 1, bias: false)),
            ("stem_bn", BatchNorm2d(width)),
            ("stem_relu", ReLU(inplace: true)),
        };
        var inChannels = width;
        var stageWidths = new[] { width, 2 * width, 4 * width, 8 * width };
        for (var stage = 0; stage < stageWidths.Length; stage++)
        {
            var stageName = $"layer{stage + 1}";
            // The first block of stages 2-4 halves the resolution; the second keeps it.
            var stride = stage == 0 ? 1 : 2;
            modules.Add((stageName, Sequential(
                ("0", new BasicBlock($"{stageName}.0", inChannels, stageWidths[stage], stride)),
                ("1", new BasicBlock($"{stageName}.1", stageWidths[stage], stageWidths[stage], 1)))));
            inChannels = stageWidths[stage];
        }
        modules.Add(("avgpool", EmbeddingPoolingLayers.Create(pooling, FeatureMapHeight, FeatureMapWidth, nameof(ResNet18Encoder))));
        modules.Add(("flatten", Flatten()));
        layers = Sequential(modules);

        Pooling = pooling;
        RegisterComponents();
        // No batch counter: its per-forward increment passes finalizer-owned Scalars into libtorch (BatchNormBatchCounter).
        BatchNormBatchCounter.Remove(this);
    }

    /// <summary>How the last feature map is pooled into the embedding.</summary>
    public EmbeddingPooling Pooling { get; }

    /// <inheritdoc />
    public override EncoderKind Kind => EncoderKind.ResNet18;

    // The last two children of layers, avgpool and flatten, make the embedding from the feature map.
    private int TrunkLength => layers.Count - 2;

    /// <inheritdoc />
    public override Tensor ForwardFeatureMap(Tensor input)
    {
        CheckInput(input);
        return RunChildren(layers, input, 0, TrunkLength);
    }

    /// <inheritdoc />
    public override Tensor PoolFeatureMap(Tensor featureMap) => RunChildren(layers, featureMap, TrunkLength, layers.Count);

    /// <inheritdoc />
    public override string ExportOnnxFeatureMap(OnnxGraphBuilder graph, string input) => ExportChildren(graph, layers, input, 0, TrunkLength, "resnet18");

    /// <inheritdoc />
    public override string ExportOnnxPooling(OnnxGraphBuilder graph, string featureMap) => ExportChildren(graph, layers, featureMap, TrunkLength, layers.Count, "resnet18");

    // The last feature map's side: three stride-2 stages, each (s + 1) / 2 with padding 1 and kernel 3.
    private static int MapSide(int side)
    {
        for (int i = 0; i < 3; i++) side = (side + 1) / 2;
        return side;
    }

    private static int CheckWidth(int width) =>
        width > 0 ? width : throw new ArgumentOutOfRangeException(nameof(width), width, "The width must be positive.");
}

/// <summary>
/// ResNet's basic residual block: relu(bn2(conv2(relu(bn1(conv1(x))))) + shortcut(x)), where the shortcut is
/// the identity, or a strided 1x1 conv+BN projection when the block changes resolution or width.
/// </summary>
internal sealed class BasicBlock : Module<Tensor, Tensor>, IOnnxExportable
{
    private readonly Conv2d conv1;
    private readonly BatchNorm2d bn1;
    private readonly Conv2d conv2;
    private readonly BatchNorm2d bn2;
    // Null when the input can be added as is (same width, stride 1).
    private readonly Sequential? shortcut;

    public BasicBlock(string name, int inChannels, int outChannels, int stride) : base(name)
    {
        conv1 = Conv2d(inChannels, outChannels, kernel_size: 3, stride: stride, padding: 1, bias: false);
        bn1 = BatchNorm2d(outChannels);
        conv2 = Conv2d(outChannels, outChannels, kernel_size: 3, stride: 1, padding: 1, bias: false);
        bn2 = BatchNorm2d(outChannels);
        if (stride != 1 || inChannels != outChannels)
        {
            shortcut = Sequential(
                ("conv", Conv2d(inChannels, outChannels, kernel_size: 1, stride: stride, bias: false)),
                ("bn", BatchNorm2d(outChannels)));
        }

        RegisterComponents();
    }

    public override Tensor forward(Tensor input)
    {
        // call() rather than forward(): the same computation, and it runs the layers' hooks (FlopCounter counts with them).
        using var hidden = functional.relu(bn1.call(conv1.call(input)), inplace: true);
        using var residual = bn2.call(conv2.call(hidden));
        // Adding in place into the BN output is safe for autograd: BatchNorm's backward needs its input, not its output.
        // PlusInPlace: add_'s alpha of 1 as a kept Scalar (see KeptScalars).
        residual.PlusInPlace(shortcut is null ? input : shortcut.call(input));
        return functional.relu(residual);
    }

    public string ExportOnnx(OnnxGraphBuilder graph, string input)
    {
        var name = GetName();
        var hidden = OnnxLayers.Relu(graph, OnnxLayers.BatchNorm2d(graph, bn1, OnnxLayers.Conv2d(graph, conv1, input, $"{name}.conv1"), $"{name}.bn1"), $"{name}.relu1");
        var residual = OnnxLayers.BatchNorm2d(graph, bn2, OnnxLayers.Conv2d(graph, conv2, hidden, $"{name}.conv2"), $"{name}.bn2");
        var identity = shortcut is null ? input : OnnxLayers.Sequential(graph, shortcut, input, $"{name}.shortcut");
        return OnnxLayers.Relu(graph, OnnxLayers.Add(graph, residual, identity, $"{name}.add"), $"{name}.relu2");
    }
}
