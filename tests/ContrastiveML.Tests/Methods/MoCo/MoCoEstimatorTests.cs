using System.Reflection;
using ContrastiveML.Methods.MoCo;
using Microsoft.ML;
using Microsoft.ML.Data;
using static ContrastiveML.Tests.EstimatorTestKit;

namespace ContrastiveML.Tests;

/// <summary>The ML.NET surface of MoCo v2: schema, option checks, the queue size it picks, a tiny fit with ONNX parity and save/load.</summary>
public class MoCoEstimatorTests
{
    internal static MoCoOptions Options(int maxSteps = 3, int seed = 7, int batchSize = 8) =>
        TinyFits.Tiny(new MoCoOptions { ProjectionDim = 8, ShuffleBatchNormGroups = 2 }, maxSteps, seed, batchSize);

    [Fact]
    public void OutputSchemaAddsAKnownSizeFloatVectorAndKeepsTheInput()
    {
        var ml = new MLContext(1);
        IDataView data = TinyFits.Data(ml, 16);
        SchemaShape output = ml.Transforms.MoCo("Embedding", "Pixels", TinyFits.Shape, batchSize: 8).GetOutputSchema(ShapeOf(data.Schema));
        SchemaShape.Column embedding = output.Single(c => c.Name == "Embedding");
        Assert.Equal(SchemaShape.Column.VectorKind.Vector, embedding.Kind);
        Assert.Equal(NumberDataViewType.Single, embedding.ItemType);
        Assert.Contains(output, c => c.Name == "Pixels");

        MoCoOptions options = Options();
        options.InputColumnName = "Image";
        var error = Assert.Throws<ArgumentException>(() => ml.Transforms.MoCo(options).GetOutputSchema(ShapeOf(data.Schema)));
        Assert.Contains("'Image'", error.Message);
        Assert.Contains("'Pixels'", error.Message);
    }

    [Fact]
    public void OptionsCarryThePapersDefaults()
    {
        var defaults = new MoCoOptions();
        Assert.Equal(0.2, defaults.Temperature);
        Assert.Equal(0.999, defaults.KeyMomentum);
        Assert.Null(defaults.QueueSize);
        Assert.Equal(65_536, MoCoOptions.PaperQueueSize);
        Assert.Equal(128, defaults.ProjectionDim);
        Assert.Equal(256, defaults.BatchSize);
    }

    [Theory]
    [InlineData(nameof(MoCoOptions.QueueSize), 7, "at least BatchSize (8)")]         // smaller than a batch
    [InlineData(nameof(MoCoOptions.QueueSize), 0, "at least BatchSize (8)")]
    [InlineData(nameof(MoCoOptions.KeyMomentum), 1.0, "in [0, 1)")]
    [InlineData(nameof(MoCoOptions.KeyMomentum), -0.1, "in [0, 1)")]
    [InlineData(nameof(MoCoOptions.KeyMomentum), double.NaN, "in [0, 1)")]
    [InlineData(nameof(MoCoOptions.Temperature), 0.0, "positive")]
    [InlineData(nameof(MoCoOptions.Temperature), -0.2, "positive")]
    [InlineData(nameof(MoCoOptions.Temperature), double.PositiveInfinity, "positive")]
    [InlineData(nameof(MoCoOptions.ShuffleBatchNormGroups), 0, "at least 1")]
    [InlineData(nameof(MoCoOptions.ShuffleBatchNormGroups), 5, "at least 2 * ShuffleBatchNormGroups (10)")] // reported on BatchSize
    [InlineData(nameof(MoCoOptions.ProjectionDim), 0, "at least 1")]
    public void InvalidOptionsFailNamingTheOptionTheValueAndWhatIsExpected(string option, object value, string expected)
    {
        MoCoOptions options = Options();
        FieldInfo field = typeof(MoCoOptions).GetField(option)!;
        field.SetValue(options, field.FieldType == typeof(int?) || field.FieldType == typeof(int) ? Convert.ToInt32(value) : value);
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new MLContext(1).Transforms.MoCo(options));
        string named = option == nameof(MoCoOptions.ShuffleBatchNormGroups) && (int)field.GetValue(options)! == 5 ? nameof(MoCoOptions.BatchSize) : option;
        Assert.Equal(named, error.ParamName);
        Assert.Contains(expected, error.Message);
        Assert.Contains($"found {error.ActualValue}", error.Message);
    }

    [Fact]
    public void AQueueThatCannotFitInMemoryFailsNamingItsBytes()
    {
        MoCoOptions options = Options();
        options.QueueSize = int.MaxValue;
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new MLContext(1).Transforms.MoCo(options));
        Assert.Equal(nameof(MoCoOptions.QueueSize), error.ParamName);
        long bytes = (long)int.MaxValue * 8 * 4;
        Assert.Contains(bytes.ToString("N0"), error.Message);
        Assert.Contains($"found {int.MaxValue}", error.Message);
    }

    [Fact]
    public void TinyFitExportsWithParityAndSurvivesSaveLoad()
    {
        var ml = new MLContext(1);
        IDataView data = TinyFits.Data(ml, 32);
        ContrastiveEncoderTransformer model = ml.Transforms.MoCo(Options()).Fit(data);
        Assert.Equal("MoCo", model.Report.Method);
        Assert.Equal(3, model.Report.Steps);
        Assert.InRange(model.Report.OnnxParityMaxAbsDifference, 0, 1e-4);
        float[][] before = TinyFits.Embeddings(ml, model.Transform(data));
        Assert.Equal(32, before.Length);
        Assert.All(before, e => Assert.Equal(model.Report.EmbeddingDim, e.Length));
        Assert.All(before.SelectMany(e => e), v => Assert.True(float.IsFinite(v)));

        using var stream = new MemoryStream();
        ml.Model.Save(model, data.Schema, stream);
        stream.Position = 0;
        var fresh = new MLContext(2);
        ITransformer loaded = fresh.Model.Load(stream, out _);
        float[][] after = TinyFits.Embeddings(fresh, loaded.Transform(data));
        Assert.Equal(before.Length, after.Length);
        for (int i = 0; i < before.Length; i++) Assert.Equal(before[i], after[i]);
    }

    [Fact]
    public void AutomaticQueueIsHalfTheRowsWhenTheDataIsSmallAndSaysSo()
    {
        var ml = new MLContext(1);
        List<string> log = CaptureLog(ml);
        ml.Transforms.MoCo(Options(maxSteps: 1)).Fit(TinyFits.Data(ml, 40));
        Assert.Contains(log, m => m.Contains("a queue of 20 negative keys") && m.Contains("QueueSize = null") && m.Contains("40 training rows"));
        Assert.DoesNotContain(log, m => m.Contains("at least as long as the data"));
    }

    [Fact]
    public void AnExplicitQueueIsKeptAsGivenAndWarnedAboutWhenLongerThanTheData()
    {
        var ml = new MLContext(1);
        List<string> log = CaptureLog(ml);
        MoCoOptions options = Options(maxSteps: 1);
        options.QueueSize = 48;
        ml.Transforms.MoCo(options).Fit(TinyFits.Data(ml, 40));
        Assert.Contains(log, m => m.Contains("a queue of 48 negative keys."));
        Assert.Contains(log, m => m.Contains("at least as long as the data (40 rows)"));
    }

    [Fact]
    public void ProgressReportsThePositiveSimilarity()
    {
        var ml = new MLContext(1);
        var progress = new List<Training.TrainingProgress>();
        MoCoOptions options = Options();
        options.Progress = new SynchronousProgress(progress.Add);
        options.ProgressIntervalSeconds = 1e-6;
        ml.Transforms.MoCo(options).Fit(TinyFits.Data(ml, 32));
        Assert.NotEmpty(progress);
        Assert.All(progress, p => Assert.InRange(p.Extra[MoCoMethod.PositiveSimilarityFigure], -1.0, 1.0));
    }

    [Fact]
    public void DataSmallerThanTheBatchTrainsWithOneBatchNormGroup()
    {
        // Two rows: the batch shrinks to 2, one BatchNorm group of two rows, and the automatic queue to the batch size.
        var ml = new MLContext(1);
        List<string> log = CaptureLog(ml);
        ContrastiveEncoderTransformer model = ml.Transforms.MoCo(Options(maxSteps: 1)).Fit(TinyFits.Data(ml, 2));
        Assert.Equal(2, model.Report.BatchSize);
        Assert.Equal(1, model.Report.Steps);
        Assert.Contains(log, m => m.Contains("a queue of 2 negative keys"));
    }
}
