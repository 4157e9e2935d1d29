using ContrastiveML.Onnx;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace ContrastiveML.Encoders;

/// <summary>
/// A compact CNN for small images on a CPU budget:
/// conv3x3(C→w)+BN+ReLU, maxpool 2, conv3x3(w→2w)+BN+ReLU, maxpool 2, conv3x3(2w→4w)+BN+ReLU,
/// conv3x3(4w→4w)+BN+ReLU, then global average pooling (4w features) or quadrant pooling (16w features).
/// </summary>
/// <remarks>
/// Convolutions carry no bias because the BatchNorm right after them has its own shift. Only the narrow first
/// convolution sees full resolution; pooling right after it keeps the wider layers at 1/4 and 1/16 of the
/// pixels. Pooling later (after the 2w convolution, the layout first considered) cost 3.4x the time per image on
/// 2 CPU cores (about 320 vs 1,080 images/s for a training forward+backward at batch 512 on 28x28) for the same
/// depth and width. The two 4w convolutions at 1/4 resolution (7x7 for 28x28 input) give the features a
/// receptive field covering the whole garment before global pooling. Works for any H, W &gt;= 4 (two 2x2
/// poolings, then global pooling).
/// </remarks>
public sealed class CompactCnnEncoder : ImageEncoder
{
    /// <summary>The default channel width w (embedding 4w = 128).</summary>
    public const int DefaultWidth = 32;

    // The whole backbone, in order; a Sequential so the layer exporters can walk it one module at a time.
    private readonly Sequential layers;

    /// <summary>Creates a randomly initialized compact CNN for images of <paramref name="shape"/> with base width <paramref name="width"/>.</summary>
    /// <param name="shape">The input image shape.</param>
    /// <param name="width">The base channel width w.</param>
    /// <param name="pooling">How the last (H/4 x W/4) feature map becomes the embedding.</param>
    public CompactCnnEncoder(ImageShape shape, int width = DefaultWidth, EmbeddingPooling pooling = EmbeddingPooling.Global)
        : base(nameof(CompactCnnEncoder), shape, 4 * CheckWidth(width) * EmbeddingPoolingLayers.Cells(pooling), width,
               4 * width, CheckSize(shape).Height / 4, CheckSize(shape).Width / 4)
    {

        layers = Sequential(
            ("conv1", Conv2d(shape.Channels, width, kernel_size: 3, padding: 1, bias: false)),
            ("bn1", BatchNorm2d(width)),
            ("relu1", ReLU(inplace: true)),
            ("pool1", MaxPool2d(kernel_size: 2)),
            ("conv2", Conv2d(width, 2 * width, kernel_size: 3, padding: 1, bias: false)),
            ("bn2", BatchNorm2d(2 * width)),
            ("relu2", ReLU(inplace: true)),
            ("pool2", MaxPool2d(kernel_size: 2)),
            ("conv3", Conv2d(2 * width, 4 * width, kernel_size: 3, padding: 1, bias: false)),
            ("bn3", BatchNorm2d(4 * width)),
            ("relu3", ReLU(inplace: true)),
            ("conv4", Conv2d(4 * width, 4 * width, kernel_size: 3, padding: 1, bias: false)),
            ("bn4", BatchNorm2d(4 * width)),
            ("relu4", ReLU(inplace: true)),
            ("avgpool", EmbeddingPoolingLayers.Create(pooling, shape.Height / 4, shape.Width / 4, nameof(CompactCnnEncoder))),
            ("flatten", Flatten()));

        Pooling = pooling;
        RegisterComponents();
        // No batch counter: its per-forward increment passes finalizer-owned Scalars into libtorch (BatchNormBatchCounter).
        BatchNormBatchCounter.Remove(this);
    }

    /// <summary>How the last feature map is pooled into the embedding.</summary>
    public EmbeddingPooling Pooling { get; }

    /// <inheritdoc />
    public override EncoderKind Kind => EncoderKind.CompactCnn;

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
    public override string ExportOnnxFeatureMap(OnnxGraphBuilder graph, string input) => ExportChildren(graph, layers, input, 0, TrunkLength, "compact_cnn");

    /// <inheritdoc />
    public override string ExportOnnxPooling(OnnxGraphBuilder graph, string featureMap) => ExportChildren(graph, layers, featureMap, TrunkLength, layers.Count, "compact_cnn");

    // The last feature map is (H/4) x (W/4) after two 2x2 max-poolings; checked before the base constructor sees a side of 0.
    private static ImageShape CheckSize(ImageShape shape)
    {
        ArgumentNullException.ThrowIfNull(shape);
        if (shape.Height < 4 || shape.Width < 4)
        {
            throw new ArgumentException($"{nameof(CompactCnnEncoder)} needs images of at least 4x4 pixels (two 2x2 poolings); {shape} is too small.", nameof(shape));
        }
        return shape;
    }

    private static int CheckWidth(int width) =>
        width > 0 ? width : throw new ArgumentOutOfRangeException(nameof(width), width, "The width must be positive.");
}
