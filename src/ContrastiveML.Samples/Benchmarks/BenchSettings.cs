using ContrastiveML.Encoders;
using ContrastiveML.Training;

namespace ContrastiveML.Samples.Benchmarks;

/// <summary>What a bench run measures: sections, encoders, sizes, repeats.</summary>
internal sealed record BenchSettings(bool Quick, bool Tiny, string? JsonPath, EncoderKind[] Encoders, int ResNetWidth, int BatchSize,
                                     string DataDirectory, TrainingDevice Device, BenchSection[]? Sections = null, string[]? Methods = null)
{
    public bool Runs(BenchSection section) => Sections == null || Sections.Contains(section);

    public int Repeats => Tiny ? 2 : Quick ? 3 : 10;
    public int MatmulSize => Tiny ? 64 : Quick ? 1024 : 2048;
    public int InferenceRows => Tiny ? 8 : Quick ? 512 : 2048;
    public int MemorySteps => Quick ? 3 : 10;

    /// <summary>The input of <paramref name="kind"/>: Fashion-MNIST's 1x28x28 for CompactCnn, CIFAR's 3x32x32 for ResNet18 (8x8 when tiny).</summary>
    public ImageShape ShapeFor(EncoderKind kind) =>
        kind == EncoderKind.ResNet18 ? new ImageShape(3, Tiny ? 8 : 32, Tiny ? 8 : 32)
                                     : Tiny ? new ImageShape(1, 8, 8) : FashionMnist.Shape;

    /// <summary>The base width benchmarked for <paramref name="kind"/>: --resnet-width for ResNet18, the default for CompactCnn (small when tiny).</summary>
    public int WidthFor(EncoderKind kind) =>
        kind == EncoderKind.ResNet18 ? (Tiny ? 2 : ResNetWidth) : Tiny ? 4 : CompactCnnEncoder.DefaultWidth;
}
