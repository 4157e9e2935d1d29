using ContrastiveML.Training;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace ContrastiveML.Augmentation;

/// <summary>
/// Makes one random SimCLR view of every image in a batch, with parameters drawn per sample, batched on the
/// images' device (CPU or CUDA).
/// </summary>
/// <remarks>
/// <para>
/// TorchSharp's <c>torchvision.transforms</c> draw one parameter set per call, so a whole batch would share
/// one crop; this class draws every random parameter as a tensor with one row per sample instead and applies
/// the operations with batched tensor arithmetic (no per-sample loop, no per-element access). Steps, in order:
/// </para>
/// <list type="number">
/// <item><b>Random resized crop + horizontal flip</b>, as torchvision's <c>RandomResizedCrop</c>: up to 10
/// attempts per sample of an area fraction drawn uniformly from the crop scale range and an aspect ratio drawn
/// log-uniformly, rounded to whole pixels; the first attempt that fits is used, otherwise the centre crop whose
/// ratio is clamped to the ratio range. The crop box and the flip (a negated x scale) become one affine matrix
/// per sample, and a single <c>affine_grid</c> + <c>grid_sample</c> (bilinear, border padding,
/// align_corners = false) resamples the crops to the input size. Two small differences from torchvision's
/// crop-then-resize: no antialiasing (crops are never larger than the output, so the resampling only
/// magnifies), and the outermost output samples, which fall less than half a source pixel inside the box's
/// edge, blend in the pixel just outside the box instead of replicating the box's edge pixel.</item>
/// <item><b>Colour jitter</b> with probability <see cref="SimClrAugmentationOptions.ColorJitterProbability"/>
/// per sample, factors drawn per sample: brightness (x·f), contrast (blend with the image's mean gray level)
/// and, for 3 channels only, saturation (blend with the image's grayscale) and hue. Hue is a rotation of the
/// chroma (I, Q) plane of the YIQ colour space by 2π·h, turned so that positive h moves red towards yellow
/// and green as an HSV hue shift does; it keeps the luma and costs one 3x3 matrix per sample, and it is close
/// to, not identical with, torchvision's HSV hue shift (which keeps HSV value and saturation instead). Every one of these operations is
/// an affine map of the pixel vector, so the jitter runs as K "slots" (K = 2 for one channel, 4 for three):
/// each sample has its own random permutation of the operations (argsort of uniform keys) and slot k applies,
/// per sample, the matrix of the operation that sample has in position k — one batched matrix product per
/// slot, clamped to [0, 1] after each slot as torchvision clamps after each operation. Samples without jitter
/// get identity matrices.</item>
/// <item><b>Random grayscale</b> (3 channels only): luma 0.299 R + 0.587 G + 0.114 B copied to all channels.</item>
/// <item><b>Gaussian blur</b> with its own probability and a per-sample sigma: a separable kernel of odd size
/// (about <see cref="SimClrAugmentationOptions.BlurKernelFraction"/> of the image side), applied as two
/// depthwise convolutions with one group per (sample, channel) over reflect-padded images; samples without
/// blur get a unit impulse kernel, which leaves them unchanged.</item>
/// </list>
/// <para>
/// All random numbers come from one <c>torch.rand</c> call on the given generator, always of the same shape,
/// so a generator seeded alike gives identical views. They are drawn on the generator's device and moved to
/// the images' device (a few hundred bytes per sample), so a CPU generator also serves CUDA images.
/// </para>
/// <para>
/// Every number passed to libtorch is a <see cref="KeptScalars"/> Scalar, alive until the method that uses it
/// returns, and every addition passes its alpha explicitly (<see cref="KeptScalars.One"/>): an implicitly
/// converted number can be freed by a collection on another thread while libtorch reads it (see
/// <see cref="KeptScalars"/>; it crashed CropAndFlip twice). Integer constants stay Int64 Scalars and fractional
/// ones Float64, as the implicit conversions made them, so the views are bit-identical to the arithmetic
/// written with operators.
/// </para>
/// </remarks>
public sealed class ViewAugmenter
{
    private const int CropAttempts = 10;

    // Column layout of the per-sample uniform draws (one torch.rand of shape [N, RandomColumns]).
    private const int ColScale = 0;                              // CropAttempts columns
    private const int ColLogRatio = ColScale + CropAttempts;     // CropAttempts columns
    private const int ColOffsetY = ColLogRatio + CropAttempts;
    private const int ColOffsetX = ColOffsetY + 1;
    private const int ColFlip = ColOffsetX + 1;
    private const int ColJitter = ColFlip + 1;
    private const int ColFactors = ColJitter + 1;                // 4 columns: brightness, contrast, saturation, hue
    private const int ColOrder = ColFactors + 4;                 // 4 columns: sort keys of the jitter order
    private const int ColGray = ColOrder + 4;
    private const int ColBlur = ColGray + 1;
    private const int ColSigma = ColBlur + 1;
    private const int RandomColumns = ColSigma + 1;

    // Jitter operation indices (slot matrices are stacked in this order).
    private const int OpBrightness = 0, OpContrast = 1, OpSaturation = 2, OpHue = 3;

    private static readonly double[] LumaWeights = { 0.299, 0.587, 0.114 };

    private readonly SimClrAugmentationOptions _o;
    private readonly long _fallbackW, _fallbackH, _fallbackX, _fallbackY;
    private readonly int _jitterOps;

    /// <summary>Creates an augmenter for images of the given shape (1 or 3 channels).</summary>
    /// <param name="options">The augmentation parameters; validated here and copied, so later changes have no effect.</param>
    /// <param name="shape">Shape of one image.</param>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of its range (see <see cref="SimClrAugmentationOptions.Validate"/>).</exception>
    /// <exception cref="ArgumentException">The shape has a channel count other than 1 or 3.</exception>
    public ViewAugmenter(SimClrAugmentationOptions options, ImageShape shape)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(shape);
        options.Validate();
        if (shape.Channels != 1 && shape.Channels != 3)
            throw new ArgumentException($"The view augmenter supports 1-channel (gray) or 3-channel (RGB) images; the shape is {shape}.", nameof(shape));
        _o = Copy(options);
        Shape = shape;
        _jitterOps = shape.Channels == 3 ? 4 : 2;
        KernelSize = ComputeKernelSize(options.BlurKernelFraction, Math.Min(shape.Height, shape.Width));
        (_fallbackW, _fallbackH) = FallbackCrop(shape.Width, shape.Height, options.CropRatioMin, options.CropRatioMax);
        _fallbackX = (shape.Width - _fallbackW) / 2;
        _fallbackY = (shape.Height - _fallbackH) / 2;
    }

    /// <summary>Shape of the images this augmenter accepts and returns.</summary>
    public ImageShape Shape { get; }

    /// <summary>Side of the (square, odd) Gaussian blur kernel in pixels.</summary>
    public int KernelSize { get; }

    /// <summary>
    /// Makes a new random view of every image: <paramref name="images"/> is [N, C, H, W] floating point in [0, 1]
    /// on any device; the result has the same shape, dtype and device, values in [0, 1]. The input is not modified.
    /// </summary>
    /// <param name="images">The batch, CHW per image, matching <see cref="Shape"/>.</param>
    /// <param name="generator">Source of all randomness; the same seed gives the same views.</param>
    /// <exception cref="ArgumentException">The tensor is not [N, C, H, W] of <see cref="Shape"/>, or not floating point.</exception>
    public Tensor MakeView(Tensor images, Generator generator)
    {
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(generator);
        CheckInput(images);
        // An empty batch has nothing to draw for (and a convolution with zero groups is an error).
        if (images.shape[0] == 0) return images.clone();

        // Every intermediate below is disposed with the scope; only the result is moved out.
        using var scope = NewDisposeScope();
        // Augmentation is data preparation, never part of a graph to differentiate.
        using var noGrad = no_grad();

        long n = images.shape[0];
        var device = images.device;
        var dtype = images.dtype;
        var u = rand(new long[] { n, RandomColumns }, dtype: ScalarType.Float64, device: generator.device, generator: generator).to(device);

        var x = CropAndFlip(images, u, n);
        if (_o.ColorJitterProbability > 0 && (_o.Brightness > 0 || _o.Contrast > 0 || (_jitterOps == 4 && (_o.Saturation > 0 || _o.Hue > 0))))
            x = ColorJitter(x, u, n);
        if (Shape.Channels == 3 && _o.GrayscaleProbability > 0)
            x = RandomGrayscale(x, u);
        if (_o.BlurProbability > 0)
            x = Blur(x, u, n);
        using var s = new KeptScalars();
        return x.clamp(s.Of(0.0), s.Of(1.0)).to(dtype).MoveToOuterDisposeScope();
    }

    private void CheckInput(Tensor images)
    {
        var s = images.shape;
        if (s.Length != 4 || s[1] != Shape.Channels || s[2] != Shape.Height || s[3] != Shape.Width)
            throw new ArgumentException($"Expected images of shape [N, {Shape.Channels}, {Shape.Height}, {Shape.Width}]; got [{string.Join(", ", s)}].", nameof(images));
        if (!images.is_floating_point())
            throw new ArgumentException($"Expected floating-point images in [0, 1]; got {images.dtype}.", nameof(images));
    }

    /// <summary>Random resized crop and horizontal flip as one per-sample affine resampling.</summary>
    private Tensor CropAndFlip(Tensor images, Tensor u, long n)
    {
        double W = Shape.Width, H = Shape.Height;
        var device = images.device;
        using var s = new KeptScalars();
        Scalar width = s.Of(W), height = s.Of(H), zero = s.Of(0L), one = s.Of(1L), two = s.Of(2.0), oneF = s.Of(1.0);

        // CropAttempts candidate boxes per sample, as torchvision: area fraction uniform, ratio log-uniform.
        var scale = u.narrow(1, ColScale, CropAttempts).mul(s.Of(_o.CropScaleMax - _o.CropScaleMin)).add(s.Of(_o.CropScaleMin), KeptScalars.One);
        double logMin = Math.Log(_o.CropRatioMin), logMax = Math.Log(_o.CropRatioMax);
        var ratio = u.narrow(1, ColLogRatio, CropAttempts).mul(s.Of(logMax - logMin)).add(s.Of(logMin), KeptScalars.One).exp();
        var area = scale.mul(s.Of(W * H));
        var w = (area * ratio).sqrt().round();
        var h = (area / ratio).sqrt().round();
        var fits = w.gt(zero) & w.le(width) & h.gt(zero) & h.le(height);

        // First attempt that fits: score fitting attempts CropAttempts, CropAttempts-1, ... and take the argmax.
        var preference = s.Arange(CropAttempts, 0, -1, ScalarType.Float64, device);
        var first = (fits.to(ScalarType.Float64) * preference).argmax(1, keepdim: true);
        var noFit = fits.any(1).logical_not();
        var cw = w.gather(1, first).squeeze(1).masked_fill(noFit, s.Of(_fallbackW));
        var ch = h.gather(1, first).squeeze(1).masked_fill(noFit, s.Of(_fallbackH));

        // Top-left corner uniform over the whole-pixel positions that keep the box inside the image:
        // floor(u * (W - cw + 1)), at most W - cw. (W - cw is computed as TorchSharp's `W - cw` does: -cw + W.)
        var roomX = cw.negative().add(width, KeptScalars.One);
        var roomY = ch.negative().add(height, KeptScalars.One);
        var x0 = (u.select(1, ColOffsetX) * roomX.add(one, KeptScalars.One)).floor().minimum(roomX).masked_fill(noFit, s.Of(_fallbackX));
        var y0 = (u.select(1, ColOffsetY) * roomY.add(one, KeptScalars.One)).floor().minimum(roomY).masked_fill(noFit, s.Of(_fallbackY));

        // Normalised coordinates (align_corners = false: -1 and 1 are the outer pixel edges). An output coordinate
        // t in [-1, 1] reads input x = centre + (box width / W) * t; a flip negates the x scale.
        var flipSign = u.select(1, ColFlip).lt(s.Of(_o.HorizontalFlipProbability)).to(ScalarType.Float64).mul(s.Of(-2.0)).add(oneF, KeptScalars.One);
        var sx = cw.div(width) * flipSign;
        var sy = ch.div(height);
        var tx = x0.mul(two).Plus(cw).div(width).sub(oneF);
        var ty = y0.mul(two).Plus(ch).div(height).sub(oneF);
        var zeros = zeros_like(sx);
        var theta = stack(new[] { sx, zeros, tx, zeros, sy, ty }, 1).reshape(n, 2, 3).to(images.dtype);

        var grid = F.affine_grid(theta, new long[] { n, Shape.Channels, Shape.Height, Shape.Width }, align_corners: false);
        // Border padding: sample points never leave the box, but rounding at its edge must not read zeros.
        return F.grid_sample(images, grid, GridSampleMode.Bilinear, GridSamplePaddingMode.Border, align_corners: false);
    }

    /// <summary>Per-sample colour jitter in a per-sample random order (see the class remarks).</summary>
    private Tensor ColorJitter(Tensor x, Tensor u, long n)
    {
        int c = Shape.Channels, k = _jitterOps;
        var device = x.device;
        var dtype = x.dtype;
        // Alive until the return: Factor and the slot loop below run inside this method.
        using var s = new KeptScalars();
        Scalar zero = s.Of(0.0), one = s.Of(1.0);
        var apply = u.select(1, ColJitter).lt(s.Of(_o.ColorJitterProbability));
        var skip = apply.logical_not();

        // Factor f in [max(0, 1 - strength), 1 + strength], 1 (identity) for samples without jitter.
        Tensor Factor(int column, double strength)
        {
            double lo = Math.Max(0, 1 - strength), hi = 1 + strength;
            return u.select(1, column).mul(s.Of(hi - lo)).add(s.Of(lo), KeptScalars.One).masked_fill(skip, one).to(dtype).view(n, 1, 1);
        }
        // 1 - f, computed as TorchSharp's `1.0 - f` does: -f + 1.
        Tensor OneMinus(Tensor f) => f.negative().add(one, KeptScalars.One);

        var eye = torch.eye(c, dtype: dtype, device: device).unsqueeze(0);
        var brightness = Factor(ColFactors + OpBrightness, _o.Brightness);
        var contrast = Factor(ColFactors + OpContrast, _o.Contrast);
        var matrices = new List<Tensor> { brightness * eye, contrast * eye };
        // Only contrast adds an offset: (1 - f) * mean gray level of the image as it is at that slot.
        var offsetCoefficient = new List<Tensor> { zeros(n, dtype: dtype, device: device), OneMinus(contrast).view(n) };
        if (k == 4)
        {
            var saturation = Factor(ColFactors + OpSaturation, _o.Saturation);
            // Rows of the luma matrix all equal the luma weights: (L x)_i = gray(x).
            var luma = LumaMatrix(dtype, device).unsqueeze(0);
            matrices.Add((saturation * eye).Plus(OneMinus(saturation) * luma));
            var angle = u.select(1, ColFactors + OpHue).mul(s.Of(2.0)).sub(one).mul(s.Of(_o.Hue * 2.0 * Math.PI)).masked_fill(skip, zero).to(dtype).view(n, 1, 1);
            var (m0, mc, ms) = YiqRotationParts(dtype, device);
            matrices.Add(m0.Plus(angle.cos() * mc).Plus(angle.sin() * ms));
            offsetCoefficient.Add(zeros(n, dtype: dtype, device: device));
            offsetCoefficient.Add(zeros(n, dtype: dtype, device: device));
        }
        var ops = stack(matrices, 1);                         // [N, K, C, C]
        var offsets = stack(offsetCoefficient, 1);            // [N, K]

        // order[n, slot] = operation applied at that slot: argsort of uniform keys is a uniform permutation.
        var order = u.narrow(1, ColOrder, k).argsort(1);
        var slotOps = F.one_hot(order, k).to(dtype);           // [N, slot, op]
        var lumaWeights = tensor(c == 3 ? LumaWeights : new[] { 1.0 }, dtype: dtype, device: device);

        var flat = x.reshape(n, c, -1);                        // [N, C, H*W]
        for (int slot = 0; slot < k; slot++)
        {
            var pick = slotOps.select(1, slot);                // [N, op] one-hot
            var a = einsum("nj,njab->nab", pick, ops);         // [N, C, C]
            var offset = (pick * offsets).sum(1);              // [N]
            var meanGray = flat.mean(new long[] { 2 }).matmul(lumaWeights); // [N]
            flat = a.bmm(flat).PlusInPlace((offset * meanGray).view(n, 1, 1)).clamp_(zero, one);
        }
        return flat.view(n, c, Shape.Height, Shape.Width);
    }

    private Tensor RandomGrayscale(Tensor x, Tensor u)
    {
        var weights = tensor(LumaWeights, dtype: x.dtype, device: x.device).view(1, 3, 1, 1);
        var gray = (x * weights).sum(1, keepdim: true).expand_as(x);
        using var s = new KeptScalars();
        var toGray = u.select(1, ColGray).lt(s.Of(_o.GrayscaleProbability)).view(-1, 1, 1, 1);
        return where(toGray, gray, x);
    }

    private Tensor Blur(Tensor x, Tensor u, long n)
    {
        int c = Shape.Channels, size = KernelSize, radius = size / 2;
        var dtype = x.dtype;
        using var s = new KeptScalars();
        var sigma = u.select(1, ColSigma).mul(s.Of(_o.BlurSigmaMax - _o.BlurSigmaMin)).add(s.Of(_o.BlurSigmaMin), KeptScalars.One);   // [N]
        var t = s.Arange(-radius, radius + 1, 1, ScalarType.Float64, x.device);        // [k]
        var gauss = (-(t * t).unsqueeze(0) / (sigma * sigma).mul(s.Of(2.0)).unsqueeze(1)).exp();                               // [N, k]
        gauss = gauss / gauss.sum(1, keepdim: true);
        var impulse = t.eq(s.Of(0L)).to(ScalarType.Float64).unsqueeze(0).expand(n, size);
        var blur = u.select(1, ColBlur).lt(s.Of(_o.BlurProbability)).unsqueeze(1);
        var kernel = where(blur, gauss, impulse).to(dtype);                                          // [N, k]
        // One depthwise group per (sample, channel): the batch becomes the channel axis of a single image.
        var perChannel = kernel.unsqueeze(1).expand(n, c, size).reshape(n * c, 1, 1, size);
        var planes = F.pad(x.reshape(1, n * c, Shape.Height, Shape.Width), new long[] { radius, radius, radius, radius }, PaddingModes.Reflect);
        var rows = F.conv2d(planes, perChannel, groups: n * c);                                     // along W
        var both = F.conv2d(rows, perChannel.view(n * c, 1, size, 1), groups: n * c);              // along H
        return both.view(n, c, Shape.Height, Shape.Width);
    }

    private static Tensor LumaMatrix(ScalarType dtype, Device device)
    {
        var rows = new double[9];
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 3; j++)
                rows[3 * i + j] = LumaWeights[j];
        return tensor(rows, new long[] { 3, 3 }, dtype: dtype, device: device);
    }

    /// <summary>
    /// Hue rotation by angle a in YIQ: M(a) = T⁻¹ R(a) T with R rotating the (I, Q) plane by −a, written as
    /// M0 + cos(a)·Mc + sin(a)·Ms so that a batch of angles needs only broadcasting.
    /// </summary>
    private static (Tensor M0, Tensor Mc, Tensor Ms) YiqRotationParts(ScalarType dtype, Device device)
    {
        double[,] toYiq =
        {
            { 0.299, 0.587, 0.114 },
            { 0.596, -0.274, -0.322 },
            { 0.211, -0.523, 0.312 },
        };
        var fromYiq = Invert3(toYiq);
        double[,] keepY = { { 1, 0, 0 }, { 0, 0, 0 }, { 0, 0, 0 } };
        double[,] cosPart = { { 0, 0, 0 }, { 0, 1, 0 }, { 0, 0, 1 } };
        // Rotating (I, Q) clockwise for a positive angle moves red towards yellow and green, the direction of
        // torchvision's positive HSV hue shift (with the anticlockwise rotation red would turn magenta, then blue).
        double[,] sinPart = { { 0, 0, 0 }, { 0, 0, 1 }, { 0, -1, 0 } };
        Tensor Conj(double[,] r) => tensor(Multiply(fromYiq, Multiply(r, toYiq)), dtype: dtype, device: device).unsqueeze(0);
        return (Conj(keepY), Conj(cosPart), Conj(sinPart));
    }

    private static double[,] Multiply(double[,] a, double[,] b)
    {
        var r = new double[3, 3];
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 3; j++)
                for (int k = 0; k < 3; k++)
                    r[i, j] += a[i, k] * b[k, j];
        return r;
    }

    private static double[,] Invert3(double[,] m)
    {
        // Adjugate over determinant.
        double det = m[0, 0] * (m[1, 1] * m[2, 2] - m[1, 2] * m[2, 1])
                   - m[0, 1] * (m[1, 0] * m[2, 2] - m[1, 2] * m[2, 0])
                   + m[0, 2] * (m[1, 0] * m[2, 1] - m[1, 1] * m[2, 0]);
        var r = new double[3, 3];
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 3; j++)
            {
                // Cofactor of m[j, i] (transposed), using cyclic indices so the sign is built in.
                int j1 = (j + 1) % 3, j2 = (j + 2) % 3, i1 = (i + 1) % 3, i2 = (i + 2) % 3;
                r[i, j] = (m[j1, i1] * m[j2, i2] - m[j1, i2] * m[j2, i1]) / det;
            }
        return r;
    }

    private static int ComputeKernelSize(double fraction, int side)
    {
        int size = (int)Math.Floor(fraction * side);
        if (size % 2 == 0) size++;
        size = Math.Max(size, 3);
        // Reflect padding needs radius < side.
        int largest = 2 * side - 1;
        return Math.Max(1, Math.Min(size, largest));
    }

    /// <summary>torchvision's fallback: the whole image, its ratio clamped to the ratio range, centred.</summary>
    private static (long W, long H) FallbackCrop(int width, int height, double ratioMin, double ratioMax)
    {
        double inRatio = (double)width / height;
        if (inRatio < ratioMin)
            return (width, Math.Min(height, (long)Math.Round(width / ratioMin, MidpointRounding.ToEven)));
        if (inRatio > ratioMax)
            return (Math.Min(width, (long)Math.Round(height * ratioMax, MidpointRounding.ToEven)), height);
        return (width, height);
    }

    private static SimClrAugmentationOptions Copy(SimClrAugmentationOptions o) => new()
    {
        CropScaleMin = o.CropScaleMin,
        CropScaleMax = o.CropScaleMax,
        CropRatioMin = o.CropRatioMin,
        CropRatioMax = o.CropRatioMax,
        HorizontalFlipProbability = o.HorizontalFlipProbability,
        ColorJitterProbability = o.ColorJitterProbability,
        Brightness = o.Brightness,
        Contrast = o.Contrast,
        Saturation = o.Saturation,
        Hue = o.Hue,
        GrayscaleProbability = o.GrayscaleProbability,
        BlurProbability = o.BlurProbability,
        BlurSigmaMin = o.BlurSigmaMin,
        BlurSigmaMax = o.BlurSigmaMax,
        BlurKernelFraction = o.BlurKernelFraction,
    };
}
