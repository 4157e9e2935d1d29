using ContrastiveML.Onnx;
using ContrastiveML.Training;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace ContrastiveML.Methods.Cmc;

/// <summary>
/// CMC views for 1-channel images, which have no colour to split: frequency bands of the standardised image
/// x = (pixel − mean) / std. Two bands: low = G_σ * x and high = x − low. Three bands: low = G_2σ * x,
/// middle = G_σ * x − G_2σ * x and high = x − G_σ * x. The bands sum back to x, as L and ab make up the colour image.
/// </summary>
/// <remarks>
/// <para>Why this split: CMC learns what two views of a scene share. Its colour views are complementary parts of the
/// input (neither determines the other), and frequency bands are the gray-image analogue: the low band holds
/// silhouette and shading, the high band edges and texture, and an encoder can match them only through what they
/// have in common, the object. A derived view such as the gradient (Sobel) of the same image would not do:
/// it is a fixed function of the intensity view, so the intensity encoder could match it by recomputing edges.</para>
/// <para>The blur is a normalised convolution: a zero-padded convolution with the truncated (radius ⌈3σ⌉, at most
/// min(H, W) − 1) Gaussian, divided per pixel by the kernel mass that fell inside the image. It keeps a constant image
/// constant up to the border (the high band of a flat image is zero everywhere) and exports as one ONNX Conv and one Mul.</para>
/// </remarks>
internal sealed class FrequencyViewSplitter : CmcViewSplitter
{
    private readonly ImageShape _shape;
    private readonly float _mean;
    private readonly float _std;
    private readonly Blur[] _blurs; // σ, then 2σ for three bands
    private readonly string[] _names;

    private sealed record Blur(double Sigma, int Radius, float[] Kernel, float[] InverseCoverage);

    public FrequencyViewSplitter(ImageShape shape, int bands, float mean, float std, double sigma)
    {
        if (bands is not (2 or 3)) throw new ArgumentOutOfRangeException(nameof(bands), bands, "Two or three frequency bands.");
        if (shape.Channels != 1) throw new ArgumentException($"Frequency bands need 1-channel images; got {shape}.", nameof(shape));
        if (!(std > 0) || !float.IsFinite(mean)) throw new ArgumentException($"The pixel statistics must be finite with std > 0; got mean {mean}, std {std}.");
        _shape = shape;
        _mean = mean;
        _std = std;
        double baseSigma = sigma > 0 ? sigma : DefaultSigma(shape);
        _blurs = (bands == 2 ? new[] { baseSigma } : new[] { baseSigma, 2 * baseSigma }).Select(s => MakeBlur(s, shape)).ToArray();
        _names = bands == 2 ? new[] { "low", "high" } : new[] { "low", "middle", "high" };
    }

    /// <summary>σ = min(H, W) / 14: 2 pixels on 28x28 Fashion-MNIST, where the low band keeps the garment's outline and the high band its seams and texture.</summary>
    public static double DefaultSigma(ImageShape shape) => Math.Min(shape.Height, shape.Width) / 14.0;

    /// <summary>The Gaussian σ of each blur in pixels (σ; σ and 2σ for three bands).</summary>
    public IReadOnlyList<double> Sigmas => _blurs.Select(b => b.Sigma).ToArray();

    public override IReadOnlyList<int> ViewChannels => _names.Select(_ => 1).ToArray();

    public override IReadOnlyList<string> ViewNames => _names;

    public override Tensor[] Split(Tensor images)
    {
        using var scope = NewDisposeScope();
        // Mean and std as kept Scalars (see KeptScalars). A float widened to double makes the same native Scalar as the
        // float itself (libtorch holds both as a double), so the standardisation is unchanged.
        using var s = new KeptScalars();
        Tensor x = images.sub(s.Of(_mean)).div(s.Of(_std));
        Tensor fine = Apply(_blurs[0], x);
        Tensor[] views;
        if (_blurs.Length == 2)
        {
            Tensor coarse = Apply(_blurs[1], x);
            views = new[] { coarse, fine.sub(coarse), x.sub(fine) };
        }
        else
        {
            views = new[] { fine, x.sub(fine) };
        }
        return views.Select(v => v.MoveToOuterDisposeScope()).ToArray();
    }

    public override string[] ExportOnnx(OnnxGraphBuilder graph, string images)
    {
        string x = OnnxTensorOps.WithScalar(graph, "Sub", images, _mean, "bands.center");
        x = OnnxTensorOps.WithScalar(graph, "Div", x, _std, "bands.scale");
        string fine = ExportBlur(graph, _blurs[0], x, "bands.blur0");
        string high = OnnxTensorOps.Binary(graph, "Sub", x, fine, "view_high");
        if (_blurs.Length == 1) return new[] { fine, high };
        string coarse = ExportBlur(graph, _blurs[1], x, "bands.blur1");
        string middle = OnnxTensorOps.Binary(graph, "Sub", fine, coarse, "view_middle");
        return new[] { coarse, middle, high };
    }

    private Tensor Apply(Blur blur, Tensor x)
    {
        int size = 2 * blur.Radius + 1;
        Tensor kernel = tensor(blur.Kernel, new long[] { 1, 1, size, size }, device: x.device);
        Tensor inverse = tensor(blur.InverseCoverage, new long[] { 1, 1, _shape.Height, _shape.Width }, device: x.device);
        return F.conv2d(x, kernel, padding: new long[] { blur.Radius, blur.Radius }).mul(inverse);
    }

    private string ExportBlur(OnnxGraphBuilder graph, Blur blur, string x, string name)
    {
        int size = 2 * blur.Radius + 1;
        string kernel = graph.AddInitializer($"{name}.kernel", blur.Kernel, 1, 1, size, size);
        string conv = graph.AddNamedNode(name, "Conv", new[] { x, kernel },
            OnnxAttribute.Ints("kernel_shape", size, size),
            OnnxAttribute.Ints("pads", blur.Radius, blur.Radius, blur.Radius, blur.Radius));
        string inverse = graph.AddInitializer($"{name}.inverse_coverage", blur.InverseCoverage, 1, 1, _shape.Height, _shape.Width);
        return OnnxTensorOps.Binary(graph, "Mul", conv, inverse, $"{name}.normalize");
    }

    private static Blur MakeBlur(double sigma, ImageShape shape)
    {
        int radius = Math.Max(1, Math.Min((int)Math.Ceiling(3 * sigma), Math.Min(shape.Height, shape.Width) - 1));
        double[] g = Enumerable.Range(-radius, 2 * radius + 1).Select(i => Math.Exp(-i * i / (2 * sigma * sigma))).ToArray();
        double total = g.Sum();
        g = g.Select(v => v / total).ToArray();
        int size = g.Length;
        var kernel = new float[size * size];
        for (int i = 0; i < size; i++)
            for (int j = 0; j < size; j++) kernel[i * size + j] = (float)(g[i] * g[j]);
        // The kernel is separable, so the mass inside the image at (y, x) is the product of the 1-D masses.
        double Mass(int position, int length) =>
            Enumerable.Range(-radius, size).Where(d => position + d >= 0 && position + d < length).Sum(d => g[d + radius]);
        var inverse = new float[shape.Height * shape.Width];
        for (int y = 0; y < shape.Height; y++)
            for (int x = 0; x < shape.Width; x++) inverse[y * shape.Width + x] = (float)(1.0 / (Mass(y, shape.Height) * Mass(x, shape.Width)));
        return new Blur(sigma, radius, kernel, inverse);
    }
}
