namespace ContrastiveML.Encoders;

/// <summary>Creates the shipped encoders by kind.</summary>
public static class EncoderFactory
{
    /// <summary>
    /// Creates a freshly initialized encoder of <paramref name="kind"/> for images of <paramref name="shape"/>.
    /// <paramref name="width"/> is the channel width multiplier w; 0 picks the encoder's default
    /// (<see cref="CompactCnnEncoder.DefaultWidth"/>, <see cref="ResNet18Encoder.DefaultWidth"/>).
    /// </summary>
    public static ImageEncoder Create(EncoderKind kind, ImageShape shape, int width = 0)
    {
        ArgumentNullException.ThrowIfNull(shape);
        if (width < 0) throw new ArgumentOutOfRangeException(nameof(width), width, "The width must be positive, or 0 for the encoder's default.");
        return kind switch
        {
            EncoderKind.CompactCnn => new CompactCnnEncoder(shape, width == 0 ? CompactCnnEncoder.DefaultWidth : width),
            EncoderKind.ResNet18 => new ResNet18Encoder(shape, width == 0 ? ResNet18Encoder.DefaultWidth : width),
            _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown encoder kind."),
        };
    }
}
