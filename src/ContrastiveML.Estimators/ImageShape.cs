namespace ContrastiveML;

/// <summary>
/// Shape of one image as the encoder sees it: channels, height and width. A pixel vector column holds
/// <see cref="Size"/> = C*H*W values in CHW order (channel-major, as ImageAnalytics' ExtractPixels emits).
/// </summary>
public sealed record ImageShape
{
    /// <summary>Creates a shape; every dimension must be positive.</summary>
    public ImageShape(int channels, int height, int width)
    {
        if (channels <= 0) throw new ArgumentOutOfRangeException(nameof(channels), channels, "The channel count must be positive.");
        if (height <= 0) throw new ArgumentOutOfRangeException(nameof(height), height, "The height must be positive.");
        if (width <= 0) throw new ArgumentOutOfRangeException(nameof(width), width, "The width must be positive.");
        Channels = channels;
        Height = height;
        Width = width;
    }

    /// <summary>Number of channels: 1 (grayscale) or 3 (RGB).</summary>
    public int Channels { get; }

    /// <summary>Height in pixels.</summary>
    public int Height { get; }

    /// <summary>Width in pixels.</summary>
    public int Width { get; }

    /// <summary>Number of values in one CHW pixel vector.</summary>
    public int Size => Channels * Height * Width;

    /// <inheritdoc />
    public override string ToString() => $"{Channels}x{Height}x{Width}";
}
