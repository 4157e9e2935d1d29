using System.Reflection;
using ContrastiveML.Samples;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms.Image;

namespace ContrastiveML.Tests;

/// <summary>
/// The ML.NET surface of SimCLR beyond what <see cref="EstimatorConformanceTests"/> checks for every estimator: empty
/// data, option checks, image columns, logging and cancellation, and small real fits.
/// </summary>
public class SimClrEstimatorTests
{
    private static readonly ImageShape Shape4 = new(1, 4, 4);

    private static SimClrOptions TinyOptions(ImageShape shape, int maxSteps = 3) => new()
    {
        InputColumnName = "Pixels",
        OutputColumnName = "Embedding",
        ImageShape = shape,
        EncoderWidth = 4,
        Epochs = 1,
        BatchSize = 32,
        MaxSteps = maxSteps,
        Seed = 7,
        Device = TrainingDevice.Cpu,
    };

    [Fact]
    public void EmptyDataIsAnError()
    {
        var ml = new MLContext(1);
        var error = Assert.Throws<InvalidOperationException>(() =>
            ml.Transforms.SimClr(TinyOptions(Shape4)).Fit(ml.Data.LoadFromEnumerable(Array.Empty<PixelRowData>())));
        Assert.Contains("'Pixels'", error.Message);
        Assert.Contains("no rows", error.Message);
    }

    [Theory]
    [InlineData(nameof(SimClrOptions.Temperature))]
    [InlineData(nameof(SimClrOptions.BatchSize))]
    [InlineData(nameof(SimClrOptions.LearningRate))]
    [InlineData(nameof(SimClrOptions.Epochs))]
    public void InvalidOptionsNameTheOption(string option)
    {
        SimClrOptions options = TinyOptions(Shape4);
        switch (option)
        {
            case nameof(SimClrOptions.Temperature): options.Temperature = 0; break;
            case nameof(SimClrOptions.BatchSize): options.BatchSize = 1; break;
            case nameof(SimClrOptions.LearningRate): options.LearningRate = -1; break;
            case nameof(SimClrOptions.Epochs): options.Epochs = 0; break;
        }
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new MLContext(1).Transforms.SimClr(options));
        Assert.Equal(option, error.ParamName);
    }

    [Fact]
    public void DataSmallerThanTheBatchTrainsWithOneBatchAndRoundTripsThroughTheModelZip()
    {
        var ml = new MLContext(1);
        SimClrOptions options = TinyOptions(new ImageShape(1, 8, 8), maxSteps: 2);
        options.Epochs = 5;
        IDataView data8 = EightByEight(ml, 10);

        ContrastiveEncoderTransformer model = ml.Transforms.SimClr(options).Fit(data8);
        Assert.Equal(10, model.Report.BatchSize);
        Assert.Equal(2, model.Report.Steps);
        Assert.InRange(model.Report.OnnxParityMaxAbsDifference, 0, 1e-4);

        float[][] before = Embeddings(ml, model.Transform(data8));
        Assert.All(before, e => Assert.Equal(model.EmbeddingDim, e.Length));
        Assert.All(before.SelectMany(e => e), v => Assert.True(float.IsFinite(v)));
        // Different images give different embeddings.
        Assert.NotEqual(before[0], before[1]);

        using var stream = new MemoryStream();
        ml.Model.Save(model, data8.Schema, stream);
        stream.Position = 0;
        var fresh = new MLContext(2);
        ITransformer loaded = fresh.Model.Load(stream, out DataViewSchema inputSchema);
        Assert.NotNull(inputSchema.GetColumnOrNull("Pixels"));
        float[][] after = Embeddings(fresh, loaded.Transform(data8));
        for (int i = 0; i < before.Length; i++) Assert.Equal(before[i], after[i]);
    }

    private sealed class EightRow
    {
        [VectorType(64)] public float[] Pixels { get; set; } = new float[64];
        public uint Label { get; set; }
    }

    private sealed class EmbeddingRow
    {
        public float[] Embedding { get; set; } = Array.Empty<float>();
    }

    private static IDataView EightByEight(MLContext ml, int rows, int seed = 3)
    {
        var random = new Random(seed);
        return ml.Data.LoadFromEnumerable(Enumerable.Range(0, rows).Select(i => new EightRow
        {
            Pixels = Enumerable.Range(0, 64).Select(_ => (float)random.Next(256)).ToArray(),
            Label = (uint)(i % 2),
        }).ToList());
    }

    private static float[][] Embeddings(MLContext ml, IDataView scored) =>
        ml.Data.CreateEnumerable<EmbeddingRow>(scored, reuseRowObject: false).Select(r => r.Embedding).ToArray();

    private sealed class ImageRow
    {
        [ImageType(8, 8)] public MLImage? Image { get; set; }
    }

    private sealed class FreshImages : IEnumerable<ImageRow>
    {
        private readonly int _count;
        public FreshImages(int count) => _count = count;

        public IEnumerator<ImageRow> GetEnumerator()
        {
            var random = new Random(5);
            for (int i = 0; i < _count; i++)
            {
                byte[] bgra = new byte[8 * 8 * 4];
                random.NextBytes(bgra);
                for (int p = 3; p < bgra.Length; p += 4) bgra[p] = 255;
                yield return new ImageRow { Image = MLImage.CreateFromPixels(8, 8, MLPixelFormat.Bgra32, bgra) };
            }
        }

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public void AcceptsAnImageColumn(int channels)
    {
        var ml = new MLContext(1);
        // ML.NET's pixel extraction disposes the images it has read, so, like LoadImages, the data makes fresh
        // MLImage objects on every pass.
        IDataView data = ml.Data.LoadFromEnumerable(new FreshImages(12));
        SimClrOptions options = TinyOptions(new ImageShape(channels, 8, 8), maxSteps: 1);
        options.InputColumnName = "Image";

        ContrastiveEncoderTransformer model = ml.Transforms.SimClr(options).Fit(data);
        float[][] embeddings = Embeddings(ml, model.Transform(data));
        Assert.Equal(12, embeddings.Length);
        Assert.All(embeddings, e => Assert.Equal(model.EmbeddingDim, e.Length));
        Assert.Null(model.Transform(data).Schema.GetColumnOrNull("Embedding.Pixels"));
    }

    [Fact]
    public void ImagesOfAnotherSizeAreRejected()
    {
        var ml = new MLContext(1);
        var rows = new[] { new ImageRow { Image = MLImage.CreateFromPixels(8, 8, MLPixelFormat.Bgra32, new byte[256]) } };
        SimClrOptions options = TinyOptions(new ImageShape(1, 16, 16));
        options.InputColumnName = "Image";
        var error = Assert.Throws<ArgumentException>(() => ml.Transforms.SimClr(options).Fit(ml.Data.LoadFromEnumerable(rows)));
        Assert.Contains("'Image'", error.Message);
        Assert.Contains("ResizeImages", error.Message);
    }

    [Fact]
    public void FitLogsToTheMLContextAndHonoursCancellation()
    {
        var ml = new MLContext(1);
        var messages = new List<string>();
        ml.Log += (_, e) => { lock (messages) messages.Add(e.Message); };
        ml.Transforms.SimClr(TinyOptions(new ImageShape(1, 8, 8), maxSteps: 1)).Fit(EightByEight(ml, 16));
        Assert.Contains(messages, m => m.Contains("training on CPU"));

        // MLContext.CancelExecution is internal in ML.NET 5.0.1; components that call it still stop Fit.
        var canceled = new MLContext(1);
        typeof(MLContext).GetMethod("CancelExecution", BindingFlags.NonPublic | BindingFlags.Instance)!.Invoke(canceled, null);
        Assert.Throws<OperationCanceledException>(() =>
            canceled.Transforms.SimClr(TinyOptions(new ImageShape(1, 8, 8))).Fit(EightByEight(canceled, 16)));
    }

    [Fact]
    public void ACanceledTokenStopsFitBeforeExport()
    {
        var ml = new MLContext(1);
        using var source = new CancellationTokenSource();
        SimClrOptions options = TinyOptions(new ImageShape(1, 8, 8), maxSteps: 1000);
        options.CancellationToken = source.Token;
        options.ProgressIntervalSeconds = 1e-6;
        options.Progress = new SynchronousProgress(_ => source.Cancel());
        var estimator = ml.Transforms.SimClr(options);
        Assert.ThrowsAny<OperationCanceledException>(() => estimator.Fit(EightByEight(ml, 64)));
    }

    private sealed class SynchronousProgress : IProgress<ContrastiveML.Training.TrainingProgress>
    {
        private readonly Action<ContrastiveML.Training.TrainingProgress> _report;
        public SynchronousProgress(Action<ContrastiveML.Training.TrainingProgress> report) => _report = report;
        public void Report(ContrastiveML.Training.TrainingProgress value) => _report(value);
    }

    [Fact]
    public void SmallFitOnFashionMnistLearnsAndFeedsAStockLinearTrainer()
    {
        var ml = new MLContext(seed: 1);
        IDataView train = FashionMnist.Load(ml, train: true, limit: 512);
        IDataView test = FashionMnist.Load(ml, train: false, limit: 300);
        var options = new SimClrOptions
        {
            InputColumnName = "Pixels",
            OutputColumnName = "Embedding",
            ImageShape = FashionMnist.Shape,
            EncoderWidth = 8,
            Epochs = 3,
            BatchSize = 128,
            Seed = 1,
            Device = TrainingDevice.Cpu,
        };
        // The cache keeps SDCA's passes from recomputing the embeddings.
        var pipeline = ml.Transforms.SimClr(options)
            .AppendCacheCheckpoint(ml)
            .Append(ml.Transforms.Conversion.MapValueToKey("LabelKey", "Label"))
            .Append(ml.Transforms.NormalizeMeanVariance("Embedding"))
            .Append(ml.MulticlassClassification.Trainers.SdcaMaximumEntropy("LabelKey", "Embedding"));
        var model = pipeline.Fit(train);

        ContrastiveEncoderTransformer encoder = ((IEnumerable<ITransformer>)model).OfType<ContrastiveEncoderTransformer>().Single();
        IReadOnlyList<double> losses = encoder.Report.EpochLosses;
        Assert.Equal(3, losses.Count);
        Assert.True(losses[^1] < losses[0], $"NT-Xent did not decrease: {string.Join(", ", losses)}");
        var metrics = ml.MulticlassClassification.Evaluate(model.Transform(test), "LabelKey");
        // Ten classes: chance is 10%; a few hundred images and three epochs already give a usable representation.
        Assert.True(metrics.MicroAccuracy > 0.5, $"accuracy {metrics.MicroAccuracy}");
    }
}
