using ContrastiveML.Encoders;
using ContrastiveML.Onnx;
using static TorchSharp.torch;

namespace ContrastiveML.Tests;

/// <summary>Shared helpers for encoder and export tests: random pixels, a brief training run, a normalization.</summary>
internal static class EncoderTestKit
{
    /// <summary>Fashion-MNIST-like normalization: bytes to [0,1], then per-channel mean/std (non-trivial on purpose).</summary>
    public static OnnxInputNormalization Normalization(int channels) => channels switch
    {
        1 => new OnnxInputNormalization(1f / 255f, new[] { 0.2860f }, new[] { 0.3530f }),
        3 => new OnnxInputNormalization(1f / 255f, new[] { 0.4914f, 0.4822f, 0.4465f }, new[] { 0.2470f, 0.2435f, 0.2616f }),
        _ => throw new ArgumentOutOfRangeException(nameof(channels)),
    };

    /// <summary>Raw pixel rows in [0, 255], as an ML.NET pixel vector column holds them.</summary>
    public static float[] RawPixels(int rows, ImageShape shape, int seed)
    {
        var random = new Random(seed);
        var values = new float[rows * shape.Size];
        for (var i = 0; i < values.Length; i++) values[i] = (float)(random.NextDouble() * 255.0);
        return values;
    }

    /// <summary>
    /// A few SGD steps in train mode on random normalized images, so weights move away from their initialization
    /// and BatchNorm running statistics are no longer zeros and ones. Leaves the encoder in eval mode.
    /// </summary>
    public static void TrainBriefly(ImageEncoder encoder, int steps = 2, int batch = 8, int seed = 1)
    {
        var normalization = Normalization(encoder.InputShape.Channels);
        var shape = encoder.InputShape;
        using var optimizer = optim.SGD(encoder.parameters(), learningRate: 0.05);
        encoder.train();
        for (var step = 0; step < steps; step++)
        {
            using var scope = NewDisposeScope();
            var raw = tensor(RawPixels(batch, shape, seed + step), new long[] { batch, shape.Size });
            var features = encoder.forward(normalization.Apply(raw, shape.Channels, shape.Height, shape.Width));
            // Any loss that depends on every feature will do; this one pulls features towards 1.
            var loss = features.sub(1f).pow(2).mean();
            optimizer.zero_grad();
            loss.backward();
            optimizer.step();
        }
        encoder.eval();
    }

    /// <summary>The TorchSharp reference for parity: normalize raw pixels exactly as the graph does, then run the encoder.</summary>
    public static Func<Tensor, Tensor> Reference(ImageEncoder encoder, OnnxInputNormalization normalization) =>
        raw => encoder.forward(normalization.Apply(raw, encoder.InputShape.Channels, encoder.InputShape.Height, encoder.InputShape.Width));

    /// <summary>Exports with the kit's normalization and a small metadata map.</summary>
    public static byte[] Export(ImageEncoder encoder, IReadOnlyDictionary<string, string>? metadata = null) =>
        OnnxExporter.Export(encoder, encoder.InputShape.Channels, encoder.InputShape.Height, encoder.InputShape.Width,
            Normalization(encoder.InputShape.Channels), metadata ?? new Dictionary<string, string> { ["encoder"] = encoder.Kind.ToString() });
}
