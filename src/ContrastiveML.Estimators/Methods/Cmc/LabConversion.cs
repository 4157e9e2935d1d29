using ContrastiveML.Onnx;
using ContrastiveML.Training;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace ContrastiveML.Methods.Cmc;

/// <summary>
/// sRGB in [0, 1] to CIE L*a*b* (D65 white), computed on the images' device with TorchSharp and written as the same
/// sequence of ONNX operators, so the exported graph and the training code convert alike.
/// </summary>
/// <remarks>
/// The standard definition (IEC 61966-2-1 for sRGB, CIE 15 for Lab), as skimage's <c>rgb2lab</c> computes it:
/// <code>
/// linear  c' = c / 12.92                       if c ≤ 0.04045
///         c' = ((c + 0.055) / 1.055)^2.4       otherwise
/// XYZ     = M · (R', G', B'),  M the sRGB (D65) matrix, each row divided by the white point (0.95047, 1, 1.08883)
/// f(t)    = t^(1/3)                            if t &gt; (6/29)³
///         = t / (3 (6/29)²) + 4/29             otherwise
/// L* = 116 f(Y) − 16,   a* = 500 (f(X) − f(Y)),   b* = 200 (f(Y) − f(Z))
/// </code>
/// Both matrix products are 1x1 convolutions. Inputs are clipped to [0, 1] first. Both branches of each piecewise
/// step are computed and one is selected (Where); the power branch reads its input clamped to the threshold, so the
/// branch that is not selected never takes a fractional power of a negative number.
/// Known values: pure red (1, 0, 0) gives (53.24, 80.09, 67.20); white gives (100, 0, 0); grey 128/255 gives L* 53.59.
/// </remarks>
internal static class LabConversion
{
    private const float GammaThreshold = 0.04045f;
    private const float GammaOffset = 0.055f;
    private const float GammaScale = 1.055f;
    private const float GammaExponent = 2.4f;
    private const float LinearSlope = 12.92f;
    // δ = 6/29: f is a cube root above δ³ and linear below it.
    private const float Delta = 6f / 29f;
    private const float FThreshold = Delta * Delta * Delta;
    private const float FSlopeDivisor = 3f * Delta * Delta;
    private const float FOffset = 4f / 29f;
    private const float CubeRoot = 1f / 3f;

    /// <summary>The sRGB (D65) to XYZ matrix, rows divided by the D65 white point, as a [3, 3, 1, 1] convolution weight.</summary>
    private static readonly float[] XyzWeights = BuildXyzWeights();

    /// <summary>f(X), f(Y), f(Z) to L*, a*, b* as a [3, 3, 1, 1] convolution weight and its bias.</summary>
    private static readonly float[] LabWeights = { 0f, 116f, 0f, 500f, -500f, 0f, 0f, 200f, -200f };
    private static readonly float[] LabBias = { -16f, 0f, 0f };

    private static float[] BuildXyzWeights()
    {
        double[,] m =
        {
            { 0.4124564, 0.3575761, 0.1804375 },
            { 0.2126729, 0.7151522, 0.0721750 },
            { 0.0193339, 0.1191920, 0.9503041 },
        };
        double[] white = { 0.95047, 1.0, 1.08883 };
        var weights = new float[9];
        for (int row = 0; row < 3; row++)
            for (int col = 0; col < 3; col++) weights[row * 3 + col] = (float)(m[row, col] / white[row]);
        return weights;
    }

    /// <summary>Converts <c>[N, 3, H, W]</c> sRGB in [0, 1] to <c>[N, 3, H, W]</c> (L*, a*, b*) on the input's device.</summary>
    public static Tensor RgbToLab(Tensor rgb)
    {
        ArgumentNullException.ThrowIfNull(rgb);
        if (rgb.dim() != 4 || rgb.shape[1] != 3)
            throw new ArgumentException($"Expected [N, 3, H, W] sRGB images; got [{string.Join(", ", rgb.shape)}].", nameof(rgb));
        using var scope = NewDisposeScope();
        // The constants as kept Scalars (see KeptScalars), additions with an explicit alpha. A float widened to double
        // makes the same native Scalar as the float itself (libtorch holds both as a double): the conversion is unchanged.
        using var s = new KeptScalars();
        Scalar gammaThreshold = s.Of(GammaThreshold), fThreshold = s.Of(FThreshold);
        Tensor x = rgb.clamp(s.Of(0.0), s.Of(1.0));
        Tensor linear = where(x.gt(gammaThreshold),
                              x.clamp_min(gammaThreshold).add(s.Of(GammaOffset), KeptScalars.One).div(s.Of(GammaScale)).pow(s.Of(GammaExponent)),
                              x.div(s.Of(LinearSlope)));
        Tensor xyz = F.conv2d(linear, Constant(XyzWeights, rgb.device, 3, 3, 1, 1));
        Tensor f = where(xyz.gt(fThreshold),
                         xyz.clamp_min(fThreshold).pow(s.Of(CubeRoot)),
                         xyz.div(s.Of(FSlopeDivisor)).add(s.Of(FOffset), KeptScalars.One));
        return F.conv2d(f, Constant(LabWeights, rgb.device, 3, 3, 1, 1), Constant(LabBias, rgb.device, 3)).MoveToOuterDisposeScope();
    }

    /// <summary>Appends the same conversion to <paramref name="graph"/>, reading <c>[N, 3, H, W]</c> sRGB in [0, 1]; returns the Lab tensor's name.</summary>
    public static string ExportRgbToLab(OnnxGraphBuilder graph, string rgb, string name = "rgb_to_lab")
    {
        ArgumentNullException.ThrowIfNull(graph);
        string x = OnnxTensorOps.Clip(graph, rgb, 0f, 1f, $"{name}.clip");
        string power = OnnxTensorOps.Clip(graph, x, GammaThreshold, null, $"{name}.gamma_clamp");
        power = OnnxTensorOps.WithScalar(graph, "Add", power, GammaOffset, $"{name}.gamma_add");
        power = OnnxTensorOps.WithScalar(graph, "Div", power, GammaScale, $"{name}.gamma_div");
        power = OnnxTensorOps.WithScalar(graph, "Pow", power, GammaExponent, $"{name}.gamma_pow");
        string slope = OnnxTensorOps.WithScalar(graph, "Div", x, LinearSlope, $"{name}.gamma_linear");
        string linear = OnnxTensorOps.WhereGreater(graph, x, GammaThreshold, power, slope, $"{name}.gamma");

        string xyz = Conv1x1(graph, linear, XyzWeights, null, $"{name}.xyz");
        string root = OnnxTensorOps.Clip(graph, xyz, FThreshold, null, $"{name}.f_clamp");
        root = OnnxTensorOps.WithScalar(graph, "Pow", root, CubeRoot, $"{name}.f_cbrt");
        string affine = OnnxTensorOps.WithScalar(graph, "Div", xyz, FSlopeDivisor, $"{name}.f_div");
        affine = OnnxTensorOps.WithScalar(graph, "Add", affine, FOffset, $"{name}.f_add");
        string f = OnnxTensorOps.WhereGreater(graph, xyz, FThreshold, root, affine, $"{name}.f");
        return Conv1x1(graph, f, LabWeights, LabBias, $"{name}.lab");
    }

    private static string Conv1x1(OnnxGraphBuilder graph, string input, float[] weights, float[]? bias, string name)
    {
        var inputs = new List<string> { input, graph.AddInitializer($"{name}.weight", weights, 3, 3, 1, 1) };
        if (bias != null) inputs.Add(graph.AddInitializer($"{name}.bias", bias, 3));
        return graph.AddNamedNode(name, "Conv", inputs, OnnxAttribute.Ints("kernel_shape", 1, 1));
    }

    private static Tensor Constant(float[] values, Device device, params long[] shape) => tensor(values, shape, device: device);
}
