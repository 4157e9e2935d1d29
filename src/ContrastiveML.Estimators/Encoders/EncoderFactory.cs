namespace ContrastiveML.Encoders;

/// <summary>Creates the shipped encoders by kind.</summary>
public static class EncoderFactory
{
    /// <summary>
    /// Creates a freshly initialized encoder of <paramref name="kind"/> for images of <paramref name="shape"/>.
    /// <paramref name="width"/> is the channel width multiplier w; 0 picks the encoder's default
    /// (<see cref="CompactCnnEncoder.DefaultWidth"/>, <see cref="ResNet18Encoder.DefaultWidth"/>).
    /// </summary>
    /// <param name="kind">The architecture.</param>
    /// <param name="shape">The input image shape.</param>
    /// <param name="width">The base channel width; 0 for the encoder's default.</param>
    /// <param name="pooling">How the last feature map becomes the embedding.</param>
    public static ImageEncoder Create(EncoderKind kind, ImageShape shape, int width = 0, EmbeddingPooling pooling = EmbeddingPooling.Global)
    {
        ArgumentNullException.ThrowIfNull(shape);
        if (width < 0) throw new ArgumentOutOfRangeException(nameof(width), width, "The width must be positive, or 0 for the encoder's default.");
        return kind switch
        {
            EncoderKind.CompactCnn => new CompactCnnEncoder(shape, width == 0 ? CompactCnnEncoder.DefaultWidth : width, pooling),
            EncoderKind.ResNet18 => new ResNet18Encoder(shape, width == 0 ? ResNet18Encoder.DefaultWidth : width, pooling),
            _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown encoder kind."),
        };
    }
}
