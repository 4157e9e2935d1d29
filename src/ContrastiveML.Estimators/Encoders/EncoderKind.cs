namespace ContrastiveML.Encoders;

/// <summary>The image encoder (backbone) architectures shipped with ContrastiveML.</summary>
public enum EncoderKind
{
    /// <summary>
    /// A four-convolution CNN pooled early (<see cref="CompactCnnEncoder"/>), sized to pretrain usefully on a few CPU cores,
    /// e.g. on 28x28 Fashion-MNIST. Embedding width 4w (default w = 32: 128 features).
    /// </summary>
    CompactCnn,

    /// <summary>
    /// CIFAR-style ResNet-18 (<see cref="ResNet18Encoder"/>): 3x3 stride-1 stem, no max-pool, four stages of two
    /// basic residual blocks. Embedding width 8w (default w = 64: 512 features).
    /// </summary>
    ResNet18,
}
