using System.Reflection;
using ContrastiveML.Methods.DenseCl;
using ContrastiveML.Onnx;
using Microsoft.ML;
using Microsoft.ML.Data;
using static ContrastiveML.Tests.EstimatorTestKit;

namespace ContrastiveML.Tests;

/// <summary>The scored row of a DenseCL model with its dense output.</summary>
public sealed class DenseOutputRow
{
    public float[] Embedding { get; set; } = Array.Empty<float>();

    public float[] Dense { get; set; } = Array.Empty<float>();
}

/// <summary>The ML.NET surface of DenseCL: schema, option checks, grid and queue sizes, tiny fits with ONNX parity and save/load, the dense output.</summary>
public class DenseClEstimatorTests
{
    // Width 4 on 8x8 images: a 16-channel 2x2 last feature map, so the automatic grid is 2x2.
    private const int MapChannels = 16;

    internal static DenseClOptions Options(int maxSteps = 3, int seed = 7, int batchSize = 8, string? denseOutput = null) =>
        TinyFits.Tiny(new DenseClOptions { ProjectionDim = 8, ShuffleBatchNormGroups = 2, DenseOutputColumnName = denseOutput }, maxSteps, seed, batchSize);

    internal static DenseOutputRow[] Score(MLContext ml, ITransformer model, IDataView data) =>
        ml.Data.CreateEnumerable<DenseOutputRow>(model.Transform(data), reuseRowObject: false).ToArray();

    [Fact]
    public void OutputSchemaAddsTheEmbeddingAndTheDenseColumnWhenAskedAndKeepsTheInput()
    {
        var ml = new MLContext(1);
        IDataView data = TinyFits.Data(ml, 16);
        SchemaShape plain = ml.Transforms.DenseCl("Embedding", "Pixels", TinyFits.Shape, batchSize: 8).GetOutputSchema(ShapeOf(data.Schema));
        Assert.Equal(SchemaShape.Column.VectorKind.Vector, plain.Single(c => c.Name == "Embedding").Kind);
        Assert.DoesNotContain(plain, c => c.Name == "Dense");
        Assert.Contains(plain, c => c.Name == "Pixels");

        SchemaShape dense = ml.Transforms.DenseCl(Options(denseOutput: "Dense")).GetOutputSchema(ShapeOf(data.Schema));
        SchemaShape.Column column = dense.Single(c => c.Name == "Dense");
        Assert.Equal(SchemaShape.Column.VectorKind.Vector, column.Kind);
        Assert.Equal(NumberDataViewType.Single, column.ItemType);
        Assert.Contains(dense, c => c.Name == "Embedding");

        DenseClOptions options = Options();
        options.InputColumnName = "Image";
        var error = Assert.Throws<ArgumentException>(() => ml.Transforms.DenseCl(options).GetOutputSchema(ShapeOf(data.Schema)));
        Assert.Contains("'Image'", error.Message);
    }

    [Fact]
    public void DefaultsAreThePapers()
    {
        var defaults = new DenseClOptions();
        Assert.Equal(0.5, defaults.DenseLossWeight);
        Assert.Null(defaults.GridSize); // 7 where the feature map allows (see the grid tests)
        Assert.Equal(128, defaults.ProjectionDim);
        Assert.Equal(0.2, defaults.Temperature);
        Assert.Equal(0.999, defaults.KeyMomentum);
        Assert.Null(defaults.QueueSize); // the paper's 65,536 where the data allows
        Assert.Equal(0, defaults.DenseProjectionHiddenDim); // the feature map's channels, as the paper's 2048 for ResNet-50
        Assert.Null(defaults.DenseOutputColumnName);
    }

    [Theory]
    [InlineData(nameof(DenseClOptions.DenseLossWeight), -0.1, "in [0, 1]")]
    [InlineData(nameof(DenseClOptions.DenseLossWeight), 1.01, "in [0, 1]")]
    [InlineData(nameof(DenseClOptions.DenseLossWeight), double.NaN, "in [0, 1]")]
    [InlineData(nameof(DenseClOptions.GridSize), 0, "at least 1")]
    [InlineData(nameof(DenseClOptions.GridSize), -3, "at least 1")]
    [InlineData(nameof(DenseClOptions.DenseProjectionHiddenDim), -1, "0 (the feature map's channel count) or positive")]
    [InlineData(nameof(DenseClOptions.QueueSize), 7, "at least BatchSize (8)")] // a queue smaller than a batch
    [InlineData(nameof(DenseClOptions.DenseOutputColumnName), "Embedding", "other than OutputColumnName ('Embedding')")]
    [InlineData(nameof(DenseClOptions.DenseOutputColumnName), "Pixels", "InputColumnName ('Pixels')")]
    [InlineData(nameof(DenseClOptions.Temperature), 0.0, "positive")]
    public void InvalidOptionsFailNamingTheOptionTheValueAndWhatIsExpected(string option, object value, string expected)
    {
        DenseClOptions options = Options();
        FieldInfo field = typeof(DenseClOptions).GetField(option)!;
        field.SetValue(options, field.FieldType == typeof(int?) || field.FieldType == typeof(int) ? Convert.ToInt32(value) : value);
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new MLContext(1).Transforms.DenseCl(options));
        Assert.Equal(option, error.ParamName);
        Assert.Contains(expected, error.Message);
        Assert.Contains($"found {error.ActualValue}", error.Message);
    }

    [Fact]
    public void AGridLargerThanTheFeatureMapFailsBeforeTrainingNamingTheOptionAndTheMap()
    {
        var ml = new MLContext(1);
        DenseClOptions options = Options();
        options.GridSize = 3; // the 8x8 images give a 2x2 feature map
        int reports = 0;
        options.Progress = new SynchronousProgress(_ => reports++);
        options.ProgressIntervalSeconds = 1e-6;
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => ml.Transforms.DenseCl(options).Fit(TinyFits.Data(ml, 16)));
        Assert.Equal(nameof(DenseClOptions.GridSize), error.ParamName);
        Assert.Contains("at most 2", error.Message);
        Assert.Contains("2x2 for 1x8x8 images", error.Message);
        Assert.Contains("found 3", error.Message);
        Assert.Equal(0, reports);
    }

    [Fact]
    public void TinyFitExportsBothOutputsWithParityAndSurvivesSaveLoad()
    {
        var ml = new MLContext(1);
        IDataView data = TinyFits.Data(ml, 32);
        List<string> log = CaptureLog(ml);
        ContrastiveEncoderTransformer model = ml.Transforms.DenseCl(Options(denseOutput: "Dense")).Fit(data);
        Assert.Equal("DenseCL", model.Report.Method);
        Assert.Equal(3, model.Report.Steps);
        Assert.Equal("Dense", model.DenseOutputColumnName);
        Assert.InRange(model.Report.OnnxParityMaxAbsDifference, 0, 1e-4);
        Assert.Contains(log, m => m.Contains("a 2x2 grid over the 2x2 feature map") && m.Contains("GridSize = null"));
        Assert.Contains(log, m => m.Contains("global and dense queues of 16 keys each"));

        DenseOutputRow[] before = Score(ml, model, data);
        Assert.Equal(32, before.Length);
        Assert.All(before, r => Assert.Equal(MapChannels, r.Embedding.Length));
        Assert.All(before, r => Assert.Equal(MapChannels * 2 * 2, r.Dense.Length));
        Assert.All(before.SelectMany(r => r.Dense), v => Assert.True(float.IsFinite(v)));
        // The 2x2 grid is the 2x2 feature map itself, so its mean over the four cells (CHW: channel c holds values
        // 4c .. 4c+3) is the globally pooled embedding.
        foreach (DenseOutputRow row in before)
        {
            for (int c = 0; c < MapChannels; c++)
            {
                double mean = row.Dense.Skip(4 * c).Take(4).Average(v => (double)v);
                Assert.Equal(row.Embedding[c], mean, 1e-5);
            }
        }

        // The standalone ONNX model has the same two outputs.
        float[] pixels = TinyFits.Rows(32).Take(4).SelectMany(r => r.Pixels).ToArray();
        var (dense, shape) = OnnxParity.Run(model.GetOnnxModel(), pixels, 4, "Dense");
        Assert.Equal(new long[] { 4, MapChannels * 4 }, shape);
        for (int i = 0; i < 4 * MapChannels * 4; i++) Assert.Equal(before[i / (MapChannels * 4)].Dense[i % (MapChannels * 4)], dense[i], 1e-5);

        using var stream = new MemoryStream();
        ml.Model.Save(model, data.Schema, stream);
        stream.Position = 0;
        var fresh = new MLContext(2);
        ITransformer loaded = fresh.Model.Load(stream, out _);
        DenseOutputRow[] after = Score(fresh, loaded, data);
        Assert.Equal(before.Length, after.Length);
        for (int i = 0; i < before.Length; i++)
        {
            Assert.Equal(before[i].Embedding, after[i].Embedding);
            Assert.Equal(before[i].Dense, after[i].Dense);
        }
    }

    [Fact]
    public void ADenseOutputOnAGridCoarserThanTheMapPoolsItsCells()
    {
        // 16x16 images: a 4x4 feature map; GridSize 1 pools it whole, so the dense output is the embedding.
        var ml = new MLContext(1);
        var rows = Enumerable.Range(0, 24).Select(i => new SixteenRow { Pixels = Enumerable.Range(0, 256).Select(j => (float)((i * 37 + j * 11) % 256)).ToArray() }).ToArray();
        IDataView data = ml.Data.LoadFromEnumerable(rows);
        DenseClOptions options = Options(denseOutput: "Dense");
        options.ImageShape = new ImageShape(1, 16, 16);
        options.GridSize = 1;
        ContrastiveEncoderTransformer model = ml.Transforms.DenseCl(options).Fit(data);
        Assert.InRange(model.Report.OnnxParityMaxAbsDifference, 0, 1e-4);
        foreach (DenseOutputRow row in Score(ml, model, data))
        {
            Assert.Equal(MapChannels, row.Dense.Length);
            for (int c = 0; c < MapChannels; c++) Assert.Equal(row.Embedding[c], row.Dense[c], 1e-5);
        }
    }

    [Fact]
    public void WithoutADenseOutputTheModelWritesTheEmbeddingOnly()
    {
        var ml = new MLContext(1);
        IDataView data = TinyFits.Data(ml, 16);
        ContrastiveEncoderTransformer model = ml.Transforms.DenseCl(Options(maxSteps: 1)).Fit(data);
        Assert.Null(model.DenseOutputColumnName);
        DataViewSchema schema = model.GetOutputSchema(data.Schema);
        Assert.NotNull(schema.GetColumnOrNull("Embedding"));
        Assert.Null(schema.GetColumnOrNull("Dense"));
        using var session = new Microsoft.ML.OnnxRuntime.InferenceSession(model.GetOnnxModel());
        Assert.Equal(new[] { "Embedding" }, session.OutputNames);
    }

    [Fact]
    public void ProgressReportsBothLossesAndThePositiveSimilarity()
    {
        var ml = new MLContext(1);
        var progress = new List<Training.TrainingProgress>();
        DenseClOptions options = Options();
        options.Progress = new SynchronousProgress(progress.Add);
        options.ProgressIntervalSeconds = 1e-6;
        ml.Transforms.DenseCl(options).Fit(TinyFits.Data(ml, 32));
        Assert.NotEmpty(progress);
        foreach (var report in progress)
        {
            double global = report.Extra[DenseClMethod.GlobalLossFigure], dense = report.Extra[DenseClMethod.DenseLossFigure];
            Assert.True(global > 0 && dense > 0, $"global {global}, dense {dense}");
            // The total is the λ = 0.5 mix of the two (one step per report).
            Assert.Equal(0.5 * global + 0.5 * dense, report.Loss, 1e-4);
            Assert.InRange(report.Extra[Methods.MoCo.MoCoMethod.PositiveSimilarityFigure], -1.0, 1.0);
        }
    }
}

/// <summary>A 1x16x16 pixel row.</summary>
public sealed class SixteenRow
{
    [VectorType(256)] public float[] Pixels { get; set; } = new float[256];
}
