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
        foreach (string key in new[] { "command", "date", "machine", "referenceMatmul", "training", "methods", "inference", "memory" })
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
            AssertStepShares(encoder.GetProperty("stepShares"), encoder.GetProperty("encoder").GetString()!);
        }
        // Every method on both encoders, its FLOPs counted from the layers that ran (the bench fails if a layer was missed).
        JsonElement methods = root.GetProperty("methods");
        Assert.Equal(2 * Methods.MethodRegistry.BuiltIn.Count, methods.GetArrayLength());
        foreach (string method in new[] { "simclr", "supcon", "metric", "moco", "densecl", "cmc", "crossentropy" })
        {
            Assert.Equal(2, methods.EnumerateArray().Count(m => m.GetProperty("method").GetString() == method));
        }
        foreach (JsonElement row in methods.EnumerateArray())
        {
            string name = row.GetProperty("method").GetString() + " " + row.GetProperty("encoder").GetString();
            Assert.True(row.GetProperty("imagesPerSecond").GetDouble() > 0, name);
            Assert.True(row.GetProperty("trainingFlopsPerImage").GetInt64() > 0, name);
            Assert.True(row.GetProperty("fractionOfMatmul").GetDouble() > 0, name);
            Assert.True(row.GetProperty("countedLayers").GetInt32() > 0, name);
            AssertStepShares(row.GetProperty("stepShares"), name);
            // Only the methods with a key encoder do forward-only work.
            bool keyEncoder = row.GetProperty("method").GetString() is "moco" or "densecl";
            Assert.Equal(keyEncoder, row.GetProperty("forwardFlopsWithoutGradientPerStep").GetInt64() > 0);
        }
        JsonElement inference = root.GetProperty("inference");
        foreach (string key in new[] { "mlNetEmbeddingsPerSecond", "mlNetStockEmbeddingsPerSecond", "onnxEmbeddingsPerSecond", "torchEmbeddingsPerSecond",
                                       "mlNetOverOnnx", "mlNetStockOverOnnx", "mlNetOverMlNetStock", "onnxOverMlNet", "torchOverMlNet", "onnxOverTorch" })
        {
            Assert.True(inference.GetProperty(key).GetDouble() > 0, key);
        }
        // The ratios are the printed figures divided in the same run (rounded to 3 decimals, figures to 0.1).
        double mlNet = inference.GetProperty("mlNetEmbeddingsPerSecond").GetDouble(), onnx = inference.GetProperty("onnxEmbeddingsPerSecond").GetDouble();
        Assert.InRange(inference.GetProperty("mlNetOverOnnx").GetDouble(), mlNet / onnx * 0.98, mlNet / onnx * 1.02);
        // TorchSharp's forward in every configuration the notes compare: autograd mode, batch, threads, BatchNorm, training forward.
        JsonElement variants = inference.GetProperty("torchVariants");
        Assert.Equal(7, variants.GetArrayLength());
        Assert.All(variants.EnumerateArray(), v => Assert.True(v.GetProperty("embeddingsPerSecond").GetDouble() > 0));
        Assert.Contains(variants.EnumerateArray(), v => v.GetProperty("grad").GetString() == "Autograd" && v.GetProperty("train").GetBoolean());
        Assert.True(root.GetProperty("residency").TryGetProperty("skipped", out _));
        Assert.True(root.GetProperty("machine").GetProperty("processorCount").GetInt32() > 0);
    }

    [Fact]
    public void SectionsRunOnlyTheirParts()
    {
        string json = Path.Combine(_folder, "inference.json");
        var (code, output, error) = CliRunner.Run("bench", "--tiny", "--section", "Inference", "--encoder", "CompactCnn", "--json", json, "--device", "cpu");
        Assert.True(code == 0, error);
        Assert.DoesNotContain("reference float32 matmul", output);
        using JsonDocument document = JsonDocument.Parse(File.ReadAllText(json));
        Assert.True(document.RootElement.TryGetProperty("inference", out _));
        foreach (string absent in new[] { "referenceMatmul", "training", "methods", "memory", "residency" })
        {
            Assert.False(document.RootElement.TryGetProperty(absent, out _), $"'{absent}' should not run");
        }

        string methodsJson = Path.Combine(_folder, "methods.json");
        var (methodsCode, _, methodsError) = CliRunner.Run("bench", "--tiny", "--section", "Methods", "--encoder", "CompactCnn", "--batch-size", "8", "--json", methodsJson, "--device", "cpu");
        Assert.True(methodsCode == 0, methodsError);
        using JsonDocument methods = JsonDocument.Parse(File.ReadAllText(methodsJson));
        Assert.Equal(7, methods.RootElement.GetProperty("methods").GetArrayLength());
        Assert.True(methods.RootElement.TryGetProperty("referenceMatmul", out _), "the methods' FLOP fractions need the matmul");
        Assert.False(methods.RootElement.TryGetProperty("training", out _), "'training' should not run");

        // --method keeps the named methods; CMC's view encoders are half the encoder's width.
        string cmcJson = Path.Combine(_folder, "cmc.json");
        var (cmcCode, _, cmcError) = CliRunner.Run("bench", "--tiny", "--section", "Methods", "--method", "cmc", "--encoder", "CompactCnn", "--batch-size", "8", "--json", cmcJson, "--device", "cpu");
        Assert.True(cmcCode == 0, cmcError);
        using JsonDocument cmc = JsonDocument.Parse(File.ReadAllText(cmcJson));
        JsonElement cmcRow = Assert.Single(cmc.RootElement.GetProperty("methods").EnumerateArray());
        Assert.Equal("CompactCnn 2x w2", cmcRow.GetProperty("encoder").GetString());

        var (badCode, _, badError) = CliRunner.Run("bench", "--tiny", "--section", "Everything");
        Assert.NotEqual(0, badCode);
        Assert.Contains("Everything", badError);
    }

    [Fact]
    public void LoadAverageIsTheFirstFieldOfProcLoadavg()
    {
        Assert.Equal(2.75, ContrastiveML.Samples.Benchmarks.MachineFacts.LoadAverage("2.75 2.66 3.17 1/94 17030"));
        Assert.Null(ContrastiveML.Samples.Benchmarks.MachineFacts.LoadAverage("not a load average"));
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

    /// <summary>
    /// The step's parts: every share a fraction, and the parts every step does work in measured (a part that was never
    /// timed would show 0 here; that the shares add up to 1 holds by construction and says nothing).
    /// </summary>
    private static void AssertStepShares(JsonElement shares, string row)
    {
        foreach (JsonProperty part in shares.EnumerateObject()) Assert.InRange(part.Value.GetDouble(), 0, 1);
        Assert.True(shares.GetProperty("forwardBackward").GetDouble() > 0, $"{row}: forward+backward not timed");
        Assert.True(shares.GetProperty("optimizer").GetDouble() > 0, $"{row}: optimizer step not timed");
        Assert.True(shares.TryGetProperty("read", out _), $"{row}: no read share");
    }
}
