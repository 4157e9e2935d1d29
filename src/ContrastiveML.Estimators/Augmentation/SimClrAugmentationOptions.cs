using System.Globalization;

namespace ContrastiveML.Augmentation;

/// <summary>
/// Parameters of the SimCLR view augmentation that <see cref="ViewAugmenter"/> applies to every sample independently:
/// random resized crop, horizontal flip, colour jitter, random grayscale and Gaussian blur, in that order.
/// </summary>
/// <remarks>
/// The defaults are the ImageNet settings of Chen et al., "A Simple Framework for Contrastive Learning of Visual
/// Representations" (SimCLR, ICML 2020), appendix A, with colour distortion strength s = 1
/// (brightness, contrast and saturation 0.8·s, hue 0.2·s). For 1-channel images of about 28x28 pixels
/// use <see cref="ForSmallGrayscale"/>. Call <see cref="Validate"/> (the augmenter does) to check the values.
/// </remarks>
public sealed class SimClrAugmentationOptions
{
    /// <summary>
    /// Smallest fraction of the image area a random crop covers (torchvision's <c>RandomResizedCrop</c> scale[0]).
    /// Range (0, 1], at most <see cref="CropScaleMax"/>. Default 0.08.
    /// </summary>
    public double CropScaleMin { get; set; } = 0.08;

    /// <summary>
    /// Largest fraction of the image area a random crop covers (scale[1]). Range [<see cref="CropScaleMin"/>, 1]. Default 1.
    /// </summary>
    public double CropScaleMax { get; set; } = 1.0;

    /// <summary>
    /// Smallest aspect ratio (width / height) of a random crop; the ratio is drawn log-uniformly.
    /// Range (0, +inf), at most <see cref="CropRatioMax"/>. Default 3/4.
    /// </summary>
    public double CropRatioMin { get; set; } = 3.0 / 4.0;

    /// <summary>
    /// Largest aspect ratio (width / height) of a random crop. Range [<see cref="CropRatioMin"/>, +inf). Default 4/3.
    /// </summary>
    public double CropRatioMax { get; set; } = 4.0 / 3.0;

    /// <summary>Probability that a view is mirrored left-right. Range [0, 1]. Default 0.5.</summary>
    public double HorizontalFlipProbability { get; set; } = 0.5;

    /// <summary>
    /// Probability that a view gets colour jitter at all (SimCLR's <c>RandomApply(ColorJitter, p=0.8)</c>).
    /// Range [0, 1]. Default 0.8.
    /// </summary>
    public double ColorJitterProbability { get; set; } = 0.8;

    /// <summary>
    /// Brightness jitter b: the pixels are multiplied by a factor drawn uniformly from [max(0, 1 - b), 1 + b].
    /// Range [0, +inf); 0 disables it. Default 0.8 (0.8·s with s = 1).
    /// </summary>
    public double Brightness { get; set; } = 0.8;

    /// <summary>
    /// Contrast jitter c: each image is blended with its mean gray level, factor drawn from [max(0, 1 - c), 1 + c].
    /// Range [0, +inf); 0 disables it. Default 0.8.
    /// </summary>
    public double Contrast { get; set; } = 0.8;

    /// <summary>
    /// Saturation jitter: each RGB image is blended with its own grayscale version, factor drawn from
    /// [max(0, 1 - value), 1 + value]. Used only for 3-channel images. Range [0, +inf); 0 disables it. Default 0.8.
    /// </summary>
    public double Saturation { get; set; } = 0.8;

    /// <summary>
    /// Hue jitter h: the hue is rotated by a fraction of a full turn drawn from [-h, h] (a rotation of the chroma
    /// plane of the YIQ colour space; see <see cref="ViewAugmenter"/>). Used only for 3-channel images.
    /// Range [0, 0.5]; 0 disables it. Default 0.2.
    /// </summary>
    public double Hue { get; set; } = 0.2;

    /// <summary>
    /// Probability that an RGB view is converted to grayscale (luma 0.299 R + 0.587 G + 0.114 B, copied to the
    /// three channels). Ignored for 1-channel images. Range [0, 1]. Default 0.2.
    /// </summary>
    public double GrayscaleProbability { get; set; } = 0.2;

    /// <summary>Probability that a view is blurred with a Gaussian kernel. Range [0, 1]. Default 0.5.</summary>
    public double BlurProbability { get; set; } = 0.5;

    /// <summary>Smallest standard deviation (in pixels) of the blur, drawn uniformly per view. Range (0, +inf). Default 0.1.</summary>
    public double BlurSigmaMin { get; set; } = 0.1;

    /// <summary>Largest standard deviation (in pixels) of the blur. Range [<see cref="BlurSigmaMin"/>, +inf). Default 2.0.</summary>
    public double BlurSigmaMax { get; set; } = 2.0;

    /// <summary>
    /// Blur kernel side as a fraction of the image side: the kernel is floor(fraction · min(H, W)) pixels,
    /// made odd by adding one when even, and at least 3. Range (0, 1]. Default 0.1 (10% of the image side).
    /// </summary>
    public double BlurKernelFraction { get; set; } = 0.1;

    /// <summary>
    /// Settings for small 1-channel images such as 28x28 Fashion-MNIST.
    /// </summary>
    /// <remarks>
    /// <list type="bullet">
    /// <item>Crop scale 0.4..1 instead of 0.08..1: 8% of a 28x28 image is an 8x8 patch, which holds too little of
    /// the object to be matched with another view. Small-image SimCLR setups commonly use about 0.2; 0.4 keeps every
    /// crop at least about 18x18 of the 28x28 image, so two views of a garment share most of its outline while still
    /// differing in position and scale. `contrastiveml probe --crop-scale-min` compares values on your own data.</item>
    /// <item>Flip 0.5: clothing is roughly left-right symmetric. Set it to 0 for data where mirroring changes the
    /// class (digits, text).</item>
    /// <item>Colour jitter p 0.8 with brightness and contrast 0.4: a single gray channel carries all the signal, so
    /// the ImageNet strength 0.8 (factors down to 0.2) erases much of it. Saturation and hue are 0 because they
    /// do not exist for one channel (the augmenter ignores them there anyway); grayscale p is 0 for the same reason.</item>
    /// <item>No blur: the kernel would be 3 pixels, and a sigma up to 2 pixels on a 28-pixel image smooths away the
    /// edges and texture that distinguish classes; SimCLR's own CIFAR-10 (32x32) setup leaves blur out too.</item>
    /// </list>
    /// </remarks>
    public static SimClrAugmentationOptions ForSmallGrayscale() => new()
    {
        CropScaleMin = 0.4,
        CropScaleMax = 1.0,
        CropRatioMin = 3.0 / 4.0,
        CropRatioMax = 4.0 / 3.0,
        HorizontalFlipProbability = 0.5,
        ColorJitterProbability = 0.8,
        Brightness = 0.4,
        Contrast = 0.4,
        Saturation = 0,
        Hue = 0,
        GrayscaleProbability = 0,
        BlurProbability = 0,
    };

    /// <summary>
    /// Checks every option. Throws <see cref="ArgumentOutOfRangeException"/> whose parameter name is the option's
    /// name and whose message gives the allowed range and the value found.
    /// </summary>
    public void Validate()
    {
        // "Not (a <= v)" forms reject NaN as well as values out of range.
        if (!(CropScaleMin > 0 && CropScaleMin <= 1))
            throw OutOfRange(nameof(CropScaleMin), "(0, 1]", CropScaleMin);
        if (!(CropScaleMax >= CropScaleMin && CropScaleMax <= 1))
            throw OutOfRange(nameof(CropScaleMax), $"[{nameof(CropScaleMin)} = {Format(CropScaleMin)}, 1]", CropScaleMax);
        if (!(CropRatioMin > 0 && double.IsFinite(CropRatioMin)))
            throw OutOfRange(nameof(CropRatioMin), "(0, +inf)", CropRatioMin);
        if (!(CropRatioMax >= CropRatioMin && double.IsFinite(CropRatioMax)))
            throw OutOfRange(nameof(CropRatioMax), $"[{nameof(CropRatioMin)} = {Format(CropRatioMin)}, +inf)", CropRatioMax);
        CheckProbability(nameof(HorizontalFlipProbability), HorizontalFlipProbability);
        CheckProbability(nameof(ColorJitterProbability), ColorJitterProbability);
        CheckStrength(nameof(Brightness), Brightness);
        CheckStrength(nameof(Contrast), Contrast);
        CheckStrength(nameof(Saturation), Saturation);
        if (!(Hue >= 0 && Hue <= 0.5))
            throw OutOfRange(nameof(Hue), "[0, 0.5]", Hue);
        CheckProbability(nameof(GrayscaleProbability), GrayscaleProbability);
        CheckProbability(nameof(BlurProbability), BlurProbability);
        if (!(BlurSigmaMin > 0 && double.IsFinite(BlurSigmaMin)))
            throw OutOfRange(nameof(BlurSigmaMin), "(0, +inf)", BlurSigmaMin);
        if (!(BlurSigmaMax >= BlurSigmaMin && double.IsFinite(BlurSigmaMax)))
            throw OutOfRange(nameof(BlurSigmaMax), $"[{nameof(BlurSigmaMin)} = {Format(BlurSigmaMin)}, +inf)", BlurSigmaMax);
        if (!(BlurKernelFraction > 0 && BlurKernelFraction <= 1))
            throw OutOfRange(nameof(BlurKernelFraction), "(0, 1]", BlurKernelFraction);
    }

    private static void CheckProbability(string name, double value)
    {
        if (!(value >= 0 && value <= 1)) throw OutOfRange(name, "[0, 1]", value);
    }

    private static void CheckStrength(string name, double value)
    {
        if (!(value >= 0 && double.IsFinite(value))) throw OutOfRange(name, "[0, +inf)", value);
    }

    private static string Format(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    private static ArgumentOutOfRangeException OutOfRange(string name, string range, double value) =>
        new(name, value, $"{name} must be in {range}; found {Format(value)}.");
}
