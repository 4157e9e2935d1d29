using ContrastiveML.Onnx;
using static TorchSharp.torch;

namespace ContrastiveML.Encoders;

/// <summary>
/// An image backbone: maps a normalized image batch <c>[N, C, H, W]</c> (float) to pooled features
/// <c>[N, <see cref="EmbeddingDim"/>]</c>, and can write that same eval-mode computation into an ONNX graph.
/// Projection heads are not part of the encoder; they are training-only and live with the training method.
/// </summary>
public abstract class ImageEncoder : nn.Module<Tensor, Tensor>, IOnnxExportable
{
    /// <summary>Initializes the shared description of an encoder.</summary>
    /// <param name="name">The module name.</param>
    /// <param name="inputShape">The image shape the encoder is built for.</param>
    /// <param name="embeddingDim">The number of features the encoder outputs per image.</param>
    /// <param name="baseWidth">The channel width multiplier w the architecture was built with.</param>
    protected ImageEncoder(string name, ImageShape inputShape, int embeddingDim, int baseWidth) : base(name)
    {
        ArgumentNullException.ThrowIfNull(inputShape);
        if (embeddingDim <= 0) throw new ArgumentOutOfRangeException(nameof(embeddingDim), embeddingDim, "The embedding width must be positive.");
        if (baseWidth <= 0) throw new ArgumentOutOfRangeException(nameof(baseWidth), baseWidth, "The base width must be positive.");
        InputShape = inputShape;
        EmbeddingDim = embeddingDim;
        BaseWidth = baseWidth;
    }

    /// <summary>The architecture.</summary>
    public abstract EncoderKind Kind { get; }

    /// <summary>The shape of one input image (channels, height, width).</summary>
    public ImageShape InputShape { get; }

    /// <summary>The number of features per image in the output.</summary>
    public int EmbeddingDim { get; }

    /// <summary>The channel width multiplier w the architecture was built with.</summary>
    public int BaseWidth { get; }

    /// <summary>Appends the encoder's eval-mode computation to <paramref name="graph"/>, reading the normalized image tensor <paramref name="input"/>; returns the name of the <c>[N, EmbeddingDim]</c> output.</summary>
    public abstract string ExportOnnx(OnnxGraphBuilder graph, string input);

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
