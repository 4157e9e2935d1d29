using ContrastiveML.Encoders;
using ContrastiveML.Onnx;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ContrastiveML.Methods.Cmc;

/// <summary>
/// CMC's encoder as one module: the view split (<see cref="CmcViewSplitter"/>) followed by one backbone per view, whose
/// pooled features are concatenated in view order, as the paper concatenates the L and ab encoders' features for
/// evaluation. Input: <c>[N, C, H, W]</c> images in [0, 1] (the split normalises each view itself); output
/// <c>[N, Σ_v D_v]</c>. The ONNX export writes the split's operators, each backbone and a Concat.
/// </summary>
internal sealed class CmcEncoder : ImageEncoder
{
    // Field names become the registered component names: the checkpoint's keys are "views.{v}.…".
    private readonly ModuleList<ImageEncoder> views;
    private readonly CmcViewSplitter _splitter;

    private CmcEncoder(ImageShape shape, CmcViewSplitter splitter, ImageEncoder[] encoders)
        : base(nameof(CmcEncoder), shape, encoders.Sum(e => e.EmbeddingDim), encoders[0].BaseWidth)
    {
        _splitter = splitter;
        views = new ModuleList<ImageEncoder>(encoders);
        Kind = encoders[0].Kind;
        RegisterComponents();
    }

    /// <summary>Creates a CMC encoder: <paramref name="splitter"/>'s views, each read by a fresh backbone of <paramref name="kind"/> and <paramref name="width"/>.</summary>
    public static CmcEncoder Create(ImageShape shape, CmcViewSplitter splitter, EncoderKind kind, int width, EmbeddingPooling pooling)
    {
        ArgumentNullException.ThrowIfNull(shape);
        ArgumentNullException.ThrowIfNull(splitter);
        ImageEncoder[] encoders = splitter.ViewChannels
            .Select(channels => EncoderFactory.Create(kind, new ImageShape(channels, shape.Height, shape.Width), width, pooling))
            .ToArray();
        return new CmcEncoder(shape, splitter, encoders);
    }

    /// <inheritdoc />
    public override EncoderKind Kind { get; }

    /// <summary>The view split in front of the backbones.</summary>
    public CmcViewSplitter Splitter => _splitter;

    /// <summary>The number of views (and backbones).</summary>
    public int ViewCount => views.Count;

    /// <summary>The backbone of view <paramref name="view"/>.</summary>
    public ImageEncoder ViewEncoder(int view) => views[view];

    /// <summary>Each view's pooled features, <c>[N, D_v]</c> in view order, from images in [0, 1].</summary>
    public Tensor[] ForwardViews(Tensor input)
    {
        CheckInput(input);
        Tensor[] split = _splitter.Split(input);
        return split.Select((view, v) => views[v].forward(view)).ToArray();
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor input) => cat(ForwardViews(input), 1);

    /// <inheritdoc />
    public override string ExportOnnx(OnnxGraphBuilder graph, string input)
    {
        string[] split = _splitter.ExportOnnx(graph, input);
        string[] features = split.Select((view, v) => views[v].ExportOnnx(graph, view)).ToArray();
        return OnnxTensorOps.Concat(graph, features, 1, "concat_views");
    }
}
