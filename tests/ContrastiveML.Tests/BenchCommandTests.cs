using System.Text.Json;

namespace ContrastiveML.Tests;

/// <summary>The bench verb on tiny settings: every section lands in the JSON.</summary>
public sealed class BenchCommandTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("contrastiveml-bench-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void TinyQuickBenchWritesEveryFigure()
    {
        string json = Path.Combine(_folder, "bench.json");
        var (code, output, error) = CliRunner.Run("bench", "--quick", "--tiny", "--batch-size", "8", "--json", json, "--device", "cpu");
        Assert.True(code == 0, error);
        Assert.Contains("reference float32 matmul", output);

        using JsonDocument document = JsonDocument.Parse(File.ReadAllText(json));
        JsonElement root = document.RootElement;
        foreach (string key in new[] { "command", "date", "machine", "referenceMatmul", "training", "inference", "memory" })
        {
            Assert.True(root.TryGetProperty(key, out _), $"missing '{key}'");
        }
        Assert.True(root.GetProperty("referenceMatmul").GetProperty("flopsPerSecond").GetDouble() > 0);
        Assert.Equal(2, root.GetProperty("training").GetArrayLength());
        foreach (JsonElement encoder in root.GetProperty("training").EnumerateArray())
        {
            Assert.True(encoder.GetProperty("imagesPerSecond").GetDouble() > 0);
            Assert.True(encoder.GetProperty("forwardFlopsPerView").GetInt64() > 0);
            Assert.True(encoder.GetProperty("fractionOfMatmul").GetDouble() > 0);
            double shares = encoder.GetProperty("stepShares").EnumerateObject().Sum(p => p.Value.GetDouble());
            Assert.InRange(shares, 0.99, 1.01);
        }
        JsonElement inference = root.GetProperty("inference");
        foreach (string key in new[] { "mlNetEmbeddingsPerSecond", "onnxEmbeddingsPerSecond", "torchEmbeddingsPerSecond", "onnxOverMlNet", "torchOverMlNet" })
        {
            Assert.True(inference.GetProperty(key).GetDouble() > 0, key);
        }
        Assert.True(root.GetProperty("machine").GetProperty("processorCount").GetInt32() > 0);
    }

    [Fact]
    public void EncoderFilterKeepsOneEncoder()
    {
        string json = Path.Combine(_folder, "one.json");
        var (code, _, error) = CliRunner.Run("bench", "--tiny", "--batch-size", "4", "--encoder", "CompactCnn", "--json", json, "--device", "cpu");
        Assert.True(code == 0, error);
        using JsonDocument document = JsonDocument.Parse(File.ReadAllText(json));
        Assert.Equal(1, document.RootElement.GetProperty("training").GetArrayLength());
    }
}
