using ContrastiveML.Encoders;
using ContrastiveML.Onnx;
using ContrastiveML.Scoring;
using ContrastiveML.Training;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.OnnxRuntime;
using TorchSharp;
using static TorchSharp.torch;

namespace ContrastiveML.Samples.Benchmarks;

/// <summary>The bench's Inference section: embeddings/s through ML.NET (batched and stock), ONNX Runtime and TorchSharp's forward variants.</summary>
internal static class InferenceSection
{
    /// <summary>Inference through ML.NET (batched and stock), ONNX Runtime and TorchSharp's forward variants, the first encoder.</summary>
    public static void Run(BenchSettings settings, Device device, Dictionary<string, object?> figures, TextWriter output)
    {
        output.WriteLine();
        Dictionary<string, object?> inference = Inference(settings.Encoders[0], settings, device);
        figures["inference"] = inference;
        output.WriteLine($"inference, random-init {inference["encoder"]} on {inference["rows"]} {inference["input"]} images (median of {settings.Repeats}):");
        output.WriteLine($"  ML.NET pipeline, batched (Transform + cursor; up to {inference["onnxBatchSize"]} rows per session run): {inference["mlNetEmbeddingsPerSecond"],10:F0} embeddings/s");
        output.WriteLine($"  ML.NET pipeline, stock OnnxTransformer (the model loaded by stock ML.NET; a row per run): {inference["mlNetStockEmbeddingsPerSecond"],10:F0} embeddings/s");
        output.WriteLine($"  ONNX Runtime InferenceSession, batches of {inference["onnxBatchSize"]} (same session options):          {inference["onnxEmbeddingsPerSecond"],10:F0} embeddings/s");
        output.WriteLine($"  TorchSharp forward, {inference["torchVariant"]}: {inference["torchEmbeddingsPerSecond"],10:F0} embeddings/s");
        output.WriteLine($"  ratios: ML.NET batched/ONNX {inference["mlNetOverOnnx"]:F2} (goal >= 0.9), ML.NET stock/ONNX {inference["mlNetStockOverOnnx"]:F2}, " +
                         $"ML.NET batched/stock {inference["mlNetOverMlNetStock"]:F2}x, ONNX/TorchSharp {inference["onnxOverTorch"]:F2}x");
        output.WriteLine("  TorchSharp forward variants (same encoder, the first half of the rows, interleaved repeats):");
        foreach (var variant in (List<Dictionary<string, object?>>)inference["torchVariants"]!)
        {
            output.WriteLine($"    {variant["variant"],-62} {variant["embeddingsPerSecond"],10:F0} embeddings/s");
        }
    }

    /// <summary>
    /// Embeddings/s of one random-init encoder through ML.NET (the fitted transformer, which batches, and the same model
    /// loaded by stock ML.NET, which runs a row per session call), ONNX Runtime directly on batches of 256 (the same
    /// session options as the batched ML.NET path), and TorchSharp's forward in several configurations.
    /// </summary>
    private static Dictionary<string, object?> Inference(EncoderKind kind, BenchSettings settings, Device device)
    {
        var ml = new MLContext(1);
        int rows = settings.InferenceRows;
        const int onnxBatch = BatchedOnnxScorer.DefaultBatchRows;
        (ImageEncoder encoder, ImageShape shape, IDataView source, string dataName) = Setup(kind, settings, ml, rows);
        using ImageEncoder disposeEncoder = encoder;
        // The same rows for every path, in memory, so no path pays for gzip decoding.
        float[] pixels = ml.Data.CreateEnumerable<BenchImages.PixelRow>(source, reuseRowObject: false, schemaDefinition: BenchImages.RowSchema(shape))
                           .SelectMany(r => r.Pixels).ToArray();
        rows = pixels.Length / shape.Size;
        IDataView data = ml.Data.LoadFromEnumerable(Enumerable.Range(0, rows).Select(i => new BenchImages.PixelRow { Pixels = pixels.AsSpan(i * shape.Size, shape.Size).ToArray() }).ToList(), BenchImages.RowSchema(shape));

        // ML.NET: an estimator fitted with no training steps exports its random-init encoder (after the parity check).
        ContrastiveEncoderTransformer transformer = ml.Transforms.SimClr(new SimClrOptions
        {
            InputColumnName = "Pixels", OutputColumnName = "Embedding", ImageShape = shape, Encoder = kind,
            EncoderWidth = encoder.BaseWidth, MaxSteps = 0, Seed = 1, BatchSize = Math.Min(256, rows), Device = settings.Device,
        }).Fit(data);
        // The same model saved and loaded with stock ML.NET: its OnnxTransformer runs one row per session call.
        ITransformer stock;
        using (var zip = new MemoryStream())
        {
            ml.Model.Save(transformer, data.Schema, zip);
            zip.Position = 0;
            stock = ml.Model.Load(zip, out _);
        }
        // ONNX Runtime directly on the exported bytes (raw pixels in, normalisation baked into the graph).
        byte[] onnxModel = transformer.GetOnnxModel();
        using InferenceSession session = OnnxScoringSession.Create(onnxModel);
        void Onnx()
        {
            for (int start = 0; start < rows; start += onnxBatch)
            {
                int count = Math.Min(onnxBatch, rows - start);
                OnnxParity.Run(session, pixels.AsSpan(start * shape.Size, count * shape.Size).ToArray(), count);
            }
        }
        // TorchSharp forward (a random-init encoder of the same architecture; the weights don't change the cost).
        // The inference configuration: eval mode under inference_mode, batches as ONNX Runtime's.
        encoder.to(device);
        var inference = new TorchForward(TrainMode: false, TorchGrad.InferenceMode, onnxBatch);

        // Interleaved (each repeat runs every path once), so a change in the machine's load hits all paths alike.
        List<double>[] paths = BenchStatistics.RepeatInterleaved(settings.Repeats,
            () => ScoreAll(transformer, data), () => ScoreAll(stock, data), Onnx, () => inference.Run(encoder, pixels, shape, rows, device));
        (double mlNet, double mlNetStock, double onnx, double torchSeconds) = (BenchStatistics.Median(paths[0]), BenchStatistics.Median(paths[1]), BenchStatistics.Median(paths[2]), BenchStatistics.Median(paths[3]));
        (stock as IDisposable)?.Dispose();

        // Where TorchSharp's inference time goes: autograd mode, batch size, threads, BatchNorm path, and the training
        // forward (train mode, autograd recording, 64 views = batch 32 x 2) for comparison. Half the rows, fewer repeats.
        TorchForward[] configurations =
        {
            inference,
            inference with { Grad = TorchGrad.NoGrad },
            inference with { BatchSize = 64 },
            inference with { Grad = TorchGrad.NoGrad, BatchSize = 64 },
            inference with { Threads = 1 },
            inference with { TrainMode = true, Grad = TorchGrad.NoGrad },
            new TorchForward(TrainMode: true, TorchGrad.Autograd, 64),
        };
        int variantRows = Math.Max(1, rows / 2);
        List<double>[] variantSeconds = BenchStatistics.RepeatInterleaved(Math.Max(2, settings.Repeats / 2),
            configurations.Select(c => (Action)(() => c.Run(encoder, pixels, shape, variantRows, device))).ToArray());
        encoder.eval();
        var variants = configurations.Select((c, i) => new Dictionary<string, object?>
        {
            ["variant"] = c.ToString(),
            ["train"] = c.TrainMode,
            ["grad"] = c.Grad.ToString(),
            ["batchSize"] = c.BatchSize,
            ["threads"] = c.Threads ?? get_num_threads(),
            ["rows"] = variantRows,
            ["embeddingsPerSecond"] = Math.Round(variantRows / BenchStatistics.Median(variantSeconds[i]), 1),
        }).ToList();

        return new Dictionary<string, object?>
        {
            ["encoder"] = $"{kind} w{encoder.BaseWidth}",
            ["weights"] = "random-init (no training steps); throughput does not depend on the weights",
            ["input"] = $"{shape.Channels}x{shape.Height}x{shape.Width}",
            ["data"] = dataName + ", copied into memory first",
            ["rows"] = rows,
            ["onnxBatchSize"] = onnxBatch,
            ["onnxSession"] = "OnnxScoringSession: ORT_ENABLE_ALL, sequential, 1 inter-op thread, ONNX Runtime's default intra-op threads (one per physical core)",
            ["mlNetEmbeddingsPerSecond"] = Math.Round(rows / mlNet, 1),
            ["mlNetStockEmbeddingsPerSecond"] = Math.Round(rows / mlNetStock, 1),
            ["onnxEmbeddingsPerSecond"] = Math.Round(rows / onnx, 1),
            ["torchEmbeddingsPerSecond"] = Math.Round(rows / torchSeconds, 1),
            ["torchVariant"] = inference.ToString(),
            ["torchVariants"] = variants,
            ["mlNetOverOnnx"] = Math.Round(onnx / mlNet, 3),
            ["mlNetStockOverOnnx"] = Math.Round(onnx / mlNetStock, 3),
            ["mlNetOverMlNetStock"] = Math.Round(mlNetStock / mlNet, 3),
            ["onnxOverMlNet"] = Math.Round(mlNet / onnx, 3),
            ["torchOverMlNet"] = Math.Round(mlNet / torchSeconds, 3),
            ["onnxOverTorch"] = Math.Round(torchSeconds / onnx, 3),
        };
    }

    /// <summary>Transform and a cursor over the embedding column only, every row read.</summary>
    private static void ScoreAll(ITransformer model, IDataView data)
    {
        IDataView scored = model.Transform(data);
        using DataViewRowCursor cursor = scored.GetRowCursor(scored.Schema.Where(c => c.Name == "Embedding"));
        ValueGetter<VBuffer<float>> getter = cursor.GetGetter<VBuffer<float>>(scored.Schema["Embedding"]);
        VBuffer<float> embedding = default;
        while (cursor.MoveNext()) getter(ref embedding);
    }

    /// <summary>Encoder, image shape and data for one encoder (see <see cref="BenchImages.For"/>).</summary>
    private static (ImageEncoder Encoder, ImageShape Shape, IDataView Data, string DataName) Setup(EncoderKind kind, BenchSettings settings, MLContext ml, int rows)
    {
        ImageShape shape = settings.ShapeFor(kind);
        manual_seed(1);
        ImageEncoder encoder = EncoderFactory.Create(kind, shape, settings.WidthFor(kind));
        (IDataView data, string dataName) = BenchImages.For(kind, settings, ml, shape, rows);
        return (encoder, shape, data, dataName);
    }
}
