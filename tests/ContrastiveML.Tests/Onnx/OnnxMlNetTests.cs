using ContrastiveML.Encoders;
using ContrastiveML.Onnx;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace ContrastiveML.Tests;

/// <summary>The exported model as ML.NET's stock OnnxTransformer consumes it (the route the estimators take).</summary>
public class OnnxMlNetTests
{
    private sealed class PixelRow
    {
        [VectorType(144)]
        public float[] Pixels { get; set; } = Array.Empty<float>();
    }

    private sealed class EmbeddingRow
    {
        public float[] Embedding { get; set; } = Array.Empty<float>();
    }

    [Fact]
    public void OnnxTransformerScoresTheExportedModelLikeOnnxRuntime()
    {
        var shape = new ImageShape(1, 12, 12);
        using var encoder = new CompactCnnEncoder(shape, width: 4);
        EncoderTestKit.TrainBriefly(encoder);
        var model = OnnxExporter.Export(encoder, 1, 12, 12, EncoderTestKit.Normalization(1), new Dictionary<string, string>(),
            inputName: "Pixels", outputName: "Embedding");
        var pixels = EncoderTestKit.RawPixels(3, shape, seed: 16);
        var (expected, _) = OnnxParity.Run(model, pixels, 3);
        var path = Path.Combine(Path.GetTempPath(), $"contrastiveml-{Guid.NewGuid():N}.onnx");
        File.WriteAllBytes(path, model);
        try
        {
            var ml = new MLContext(seed: 1);
            var rows = Enumerable.Range(0, 3).Select(i => new PixelRow { Pixels = pixels[(i * shape.Size)..((i + 1) * shape.Size)] }).ToList();
            var data = ml.Data.LoadFromEnumerable(rows);
            var transformer = ml.Transforms.ApplyOnnxModel("Embedding", "Pixels", path).Fit(data);

            var embeddings = ml.Data.CreateEnumerable<EmbeddingRow>(transformer.Transform(data), reuseRowObject: false).ToList();

            Assert.Equal(3, embeddings.Count);
            for (var row = 0; row < 3; row++)
            {
                // OnnxTransformer fixes the symbolic batch dimension to 1, so [N, 16] arrives as a 16-vector per row.
                Assert.Equal(16, embeddings[row].Embedding.Length);
                for (var j = 0; j < 16; j++) Assert.Equal(expected[row * 16 + j], embeddings[row].Embedding[j], 1e-5f);
            }
            (transformer as IDisposable)?.Dispose();
        }
        finally
        {
            File.Delete(path);
        }
    }
}
