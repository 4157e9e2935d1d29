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
/// <remarks>
/// Its last feature map is the views' maps concatenated along the channels (every view's backbone has the same kind and
/// image size, so the maps share H and W). Pooling is channel-agnostic and flattens channel-major, so pooling that
/// concatenated map gives exactly the concatenation of each view's pooled features: forward is still
/// <see cref="ImageEncoder.PoolFeatureMap"/> of <see cref="ImageEncoder.ForwardFeatureMap"/>, and the dense parts of
/// <see cref="ImageEncoder"/> hold for the composite too.
/// </remarks>
internal sealed class CmcEncoder : ImageEncoder
{
    // Field names become the registered component names: the checkpoint's keys are "views.{v}.…".
    private readonly ModuleList<ImageEncoder> views;
    private readonly CmcViewSplitter _splitter;

    private CmcEncoder(ImageShape shape, CmcViewSplitter splitter, ImageEncoder[] encoders)
        : base(nameof(CmcEncoder), shape, encoders.Sum(e => e.EmbeddingDim), encoders[0].BaseWidth,
               encoders.Sum(e => e.FeatureMapChannels), encoders[0].FeatureMapHeight, encoders[0].FeatureMapWidth)
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

    /// <summary>
    /// Each view's pooled features with view v cut from <paramref name="inputs"/>[v] (one augmented copy per view,
    /// <see cref="CmcOptions.AugmentViewsIndependently"/>); images in [0, 1].
    /// </summary>
    public Tensor[] ForwardViews(IReadOnlyList<Tensor> inputs)
    {
        if (inputs.Count != ViewCount) throw new ArgumentException($"Expected one input per view ({ViewCount}); got {inputs.Count}.", nameof(inputs));
        return inputs.Select((input, v) =>
        {
            CheckInput(input);
            return views[v].forward(_splitter.Split(input)[v]);
        }).ToArray();
    }

    /// <inheritdoc />
    public override Tensor ForwardFeatureMap(Tensor input)
    {
        CheckInput(input);
        Tensor[] split = _splitter.Split(input);
        return cat(split.Select((view, v) => views[v].ForwardFeatureMap(view)).ToArray(), 1);
    }

    /// <inheritdoc />
    public override Tensor PoolFeatureMap(Tensor featureMap) => views[0].PoolFeatureMap(featureMap);

    /// <inheritdoc />
    public override string ExportOnnxFeatureMap(OnnxGraphBuilder graph, string input)
    {
        string[] split = _splitter.ExportOnnx(graph, input);
        string[] maps = split.Select((view, v) => views[v].ExportOnnxFeatureMap(graph, view)).ToArray();
        return OnnxTensorOps.Concat(graph, maps, 1, "concat_views");
    }

    /// <inheritdoc />
    public override string ExportOnnxPooling(OnnxGraphBuilder graph, string featureMap) => views[0].ExportOnnxPooling(graph, featureMap);
}
