using ContrastiveML.Onnx;
using static TorchSharp.torch;

namespace ContrastiveML.Methods.Cmc;

/// <summary>
/// CMC's colour views: sRGB to Lab (<see cref="LabConversion"/>), each channel mapped to about [-1, 1] with the
/// official CMC code's constants (mean and half-range of L* in [0, 100], a* in [-86.183, 98.233], b* in
/// [-107.857, 94.478]), then L | ab (two views) or L | a | b (three views).
/// </summary>
internal sealed class LabViewSplitter : CmcViewSplitter
{
    private static readonly float[] Mean = { 50f, (-86.183f + 98.233f) / 2f, (-107.857f + 94.478f) / 2f };
    private static readonly float[] HalfRange = { 50f, (86.183f + 98.233f) / 2f, (107.857f + 94.478f) / 2f };

    private readonly (int Start, int Count)[] _ranges;
    private readonly string[] _names;

    public LabViewSplitter(bool separateChroma)
    {
        _ranges = separateChroma ? new[] { (0, 1), (1, 1), (2, 1) } : new[] { (0, 1), (1, 2) };
        _names = separateChroma ? new[] { "L", "a", "b" } : new[] { "L", "ab" };
    }

    public override IReadOnlyList<int> ViewChannels => _ranges.Select(r => r.Count).ToArray();

    public override IReadOnlyList<string> ViewNames => _names;

    public override Tensor[] Split(Tensor images)
    {
        using var scope = NewDisposeScope();
        Tensor lab = LabConversion.RgbToLab(images);
        Tensor normalized = lab.sub(tensor(Mean, new long[] { 1, 3, 1, 1 }, device: images.device))
                               .div(tensor(HalfRange, new long[] { 1, 3, 1, 1 }, device: images.device));
        return _ranges.Select(r => normalized.narrow(1, r.Start, r.Count).MoveToOuterDisposeScope()).ToArray();
    }

    public override string[] ExportOnnx(OnnxGraphBuilder graph, string images)
    {
        string lab = LabConversion.ExportRgbToLab(graph, images);
        string centered = OnnxTensorOps.Binary(graph, "Sub", lab, graph.AddInitializer("lab.mean", Mean, 1, 3, 1, 1), "lab.center");
        string normalized = OnnxTensorOps.Binary(graph, "Div", centered, graph.AddInitializer("lab.half_range", HalfRange, 1, 3, 1, 1), "lab.scale");
        return _ranges.Select((r, v) => OnnxTensorOps.Slice(graph, normalized, 1, r.Start, r.Start + r.Count, $"view_{_names[v]}")).ToArray();
    }
}
