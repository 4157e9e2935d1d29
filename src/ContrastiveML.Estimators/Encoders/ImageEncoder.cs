using ContrastiveML.Onnx;
using ContrastiveML.NativeKernels;
using static TorchSharp.torch;

namespace ContrastiveML.Encoders;

/// <summary>
/// An image backbone: maps a normalized image batch <c>[N, C, H, W]</c> (float) to pooled features
/// <c>[N, <see cref="EmbeddingDim"/>]</c>, and can write that same eval-mode computation into an ONNX graph.
/// Projection heads are not part of the encoder; they are training-only and live with the training method.
/// </summary>
/// <remarks>
/// The computation has two parts that dense methods (DenseCL) reach separately: the convolutional trunk up to the last
/// feature map, <c>[N, <see cref="FeatureMapChannels"/>, <see cref="FeatureMapHeight"/>, <see cref="FeatureMapWidth"/>]</c>
/// (<see cref="ForwardFeatureMap"/>), and the pooling of that map into the embedding (<see cref="PoolFeatureMap"/>);
/// <c>forward</c> is exactly the one after the other.
/// </remarks>
public abstract class ImageEncoder : nn.Module<Tensor, Tensor>, IOnnxExportable
{
    /// <summary>Initializes the shared description of an encoder.</summary>
    /// <param name="name">The module name.</param>
    /// <param name="inputShape">The image shape the encoder is built for.</param>
    /// <param name="embeddingDim">The number of features the encoder outputs per image.</param>
    /// <param name="baseWidth">The channel width multiplier w the architecture was built with.</param>
    /// <param name="featureMapChannels">Channels of the last feature map (before pooling).</param>
    /// <param name="featureMapHeight">Height of the last feature map for <paramref name="inputShape"/> images.</param>
    /// <param name="featureMapWidth">Width of the last feature map for <paramref name="inputShape"/> images.</param>
    protected ImageEncoder(string name, ImageShape inputShape, int embeddingDim, int baseWidth,
                           int featureMapChannels, int featureMapHeight, int featureMapWidth) : base(CheckedKernels(name))
    {
        ArgumentNullException.ThrowIfNull(inputShape);
        if (embeddingDim <= 0) throw new ArgumentOutOfRangeException(nameof(embeddingDim), embeddingDim, "The embedding width must be positive.");
        if (baseWidth <= 0) throw new ArgumentOutOfRangeException(nameof(baseWidth), baseWidth, "The base width must be positive.");
        if (featureMapChannels <= 0 || featureMapHeight <= 0 || featureMapWidth <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(featureMapChannels), $"The feature map must have positive sizes; got {featureMapChannels}x{featureMapHeight}x{featureMapWidth}.");
        }
        InputShape = inputShape;
        EmbeddingDim = embeddingDim;
        BaseWidth = baseWidth;
        FeatureMapChannels = featureMapChannels;
        FeatureMapHeight = featureMapHeight;
        FeatureMapWidth = featureMapWidth;
    }

    // Runs before the module base constructor touches libtorch: an encoder is only built where the CPU kernels are right.
    private static string CheckedKernels(string name)
    {
        CpuKernelGuard.EnsureVerified();
        return name;
    }

    /// <summary>The architecture.</summary>
    public abstract EncoderKind Kind { get; }

    /// <summary>The shape of one input image (channels, height, width).</summary>
    public ImageShape InputShape { get; }

    /// <summary>The number of features per image in the output.</summary>
    public int EmbeddingDim { get; }

    /// <summary>The channel width multiplier w the architecture was built with.</summary>
    public int BaseWidth { get; }

    /// <summary>Channels of the last feature map, the one the embedding pools.</summary>
    public int FeatureMapChannels { get; }

    /// <summary>Height of the last feature map for <see cref="InputShape"/> images.</summary>
    public int FeatureMapHeight { get; }

    /// <summary>Width of the last feature map for <see cref="InputShape"/> images.</summary>
    public int FeatureMapWidth { get; }

    /// <summary>The last feature map before pooling: normalized images <c>[N, C, H, W]</c> to
    /// <c>[N, FeatureMapChannels, FeatureMapHeight, FeatureMapWidth]</c>.</summary>
    public abstract Tensor ForwardFeatureMap(Tensor input);

    /// <summary>Pools a last feature map (from <see cref="ForwardFeatureMap"/>) into the embedding <c>[N, EmbeddingDim]</c>.</summary>
    public abstract Tensor PoolFeatureMap(Tensor featureMap);

    /// <summary>The embedding: <see cref="PoolFeatureMap"/> of <see cref="ForwardFeatureMap"/>.</summary>
    public override Tensor forward(Tensor input) => PoolFeatureMap(ForwardFeatureMap(input));

    /// <summary>Appends the eval-mode computation of <see cref="ForwardFeatureMap"/> to <paramref name="graph"/>, reading the
    /// normalized image tensor <paramref name="input"/>; returns the name of the <c>[N, C', h, w]</c> feature map.</summary>
    public abstract string ExportOnnxFeatureMap(OnnxGraphBuilder graph, string input);

    /// <summary>Appends <see cref="PoolFeatureMap"/> to <paramref name="graph"/>, reading the feature map tensor
    /// <paramref name="featureMap"/>; returns the name of the <c>[N, EmbeddingDim]</c> embedding.</summary>
    public abstract string ExportOnnxPooling(OnnxGraphBuilder graph, string featureMap);

    /// <summary>Appends the encoder's eval-mode computation to <paramref name="graph"/>, reading the normalized image tensor <paramref name="input"/>; returns the name of the <c>[N, EmbeddingDim]</c> output.</summary>
    public string ExportOnnx(OnnxGraphBuilder graph, string input) => ExportOnnxPooling(graph, ExportOnnxFeatureMap(graph, input));

    /// <summary>
    /// Runs the children of <paramref name="layers"/> from index <paramref name="start"/> (inclusive) to
    /// <paramref name="end"/> (exclusive) on <paramref name="input"/>: the encoders keep one Sequential (stable parameter
    /// names) whose last two children are the pooling and the flatten, and run its trunk and its pooling separately.
    /// </summary>
    protected static Tensor RunChildren(TorchSharp.Modules.Sequential layers, Tensor input, int start, int end)
    {
        ArgumentNullException.ThrowIfNull(layers);
        Tensor current = input;
        int index = 0;
        foreach (var (_, child) in layers.named_children())
        {
            if (index >= start && index < end)
            {
                Tensor next = ((nn.Module<Tensor, Tensor>)child).call(current);
                // As Sequential.forward does: intermediate handles go at once (autograd keeps what backward needs), so
                // inference without gradients holds one activation at a time. The caller's input is the caller's.
                if (!ReferenceEquals(current, input) && !ReferenceEquals(current, next)) current.Dispose();
                current = next;
            }
            index++;
        }
        return current;
    }

    /// <summary>Exports the children of <paramref name="layers"/> from <paramref name="start"/> to <paramref name="end"/>
    /// (exclusive), as <see cref="RunChildren"/> runs them; node names are prefixed with <paramref name="prefix"/>.</summary>
    protected static string ExportChildren(OnnxGraphBuilder graph, TorchSharp.Modules.Sequential layers, string input, int start, int end, string prefix)
    {
        ArgumentNullException.ThrowIfNull(layers);
        string current = input;
        int index = 0;
        foreach (var (childName, child) in layers.named_children())
        {
            if (index >= start && index < end) current = OnnxLayers.Export(graph, child, current, $"{prefix}.{childName}");
            index++;
        }
        return current;
    }

    /// <summary>Throws an <see cref="ArgumentException"/> unless <paramref name="input"/> is a <c>[N, C, H, W]</c> batch of <see cref="InputShape"/> images.</summary>
    protected void CheckInput(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var shape = input.shape;
        if (shape.Length != 4 || shape[1] != InputShape.Channels || shape[2] != InputShape.Height || shape[3] != InputShape.Width)
        {
            throw new ArgumentException(
                $"{GetType().Name} expects a [N, {InputShape.Channels}, {InputShape.Height}, {InputShape.Width}] batch; it was given [{string.Join(", ", shape)}].",
                nameof(input));
        }
    }
}
