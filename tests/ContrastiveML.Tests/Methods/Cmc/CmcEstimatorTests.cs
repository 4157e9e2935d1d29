using Microsoft.ML;
using Microsoft.ML.Data;
using static ContrastiveML.Tests.EstimatorTestKit;

namespace ContrastiveML.Tests;

/// <summary>The ML.NET surface of CMC: options and channel errors, schema, tiny fits for gray and colour images with save/load.</summary>
public class CmcEstimatorTests
{
    /// <summary>A 3x8x8 RGB pixel row.</summary>
    public sealed class RgbRow
    {
        [VectorType(192)] public float[] Pixels { get; set; } = new float[192];
    }

    /// <summary>A 2x8x8 pixel row: no CMC split exists for two channels.</summary>
    public sealed class TwoChannelRow
    {
        [VectorType(128)] public float[] Pixels { get; set; } = new float[128];
    }

    internal static CmcOptions Options(ImageShape? shape = null, int maxSteps = 3, int seed = 7)
    {
        CmcOptions options = TinyFits.Tiny(new CmcOptions { ProjectionDim = 8, MemoryBankSize = 16 }, maxSteps, seed);
        options.ImageShape = shape ?? TinyFits.Shape;
        return options;
    }

    private static IDataView RgbData(MLContext ml, int count = 24)
    {
        var random = new Random(4);
        return ml.Data.LoadFromEnumerable(Enumerable.Range(0, count)
            .Select(_ => new RgbRow { Pixels = Enumerable.Range(0, 192).Select(_ => (float)random.Next(256)).ToArray() }).ToArray());
    }

    private static void AssertSaveLoadGivesTheSameEmbeddings(MLContext ml, ITransformer model, IDataView data)
    {
        float[][] before = TinyFits.Embeddings(ml, model.Transform(data));
        using var stream = new MemoryStream();
        ml.Model.Save(model, data.Schema, stream);
        stream.Position = 0;
        var fresh = new MLContext(2);
        ITransformer loaded = fresh.Model.Load(stream, out _);
        float[][] after = TinyFits.Embeddings(fresh, loaded.Transform(data));
        Assert.Equal(before.Length, after.Length);
        for (int i = 0; i < before.Length; i++) Assert.Equal(before[i], after[i]);
    }

    [Theory]
    [InlineData(CmcNegatives.MemoryBank)]
    [InlineData(CmcNegatives.Batch)]
    public void GrayFitExportsTwoBandEncodersAndRoundTripsThroughTheZip(CmcNegatives negatives)
    {
        var ml = new MLContext(1);
        IDataView data = TinyFits.Data(ml, 24);
        CmcOptions options = Options();
        options.Negatives = negatives;
        ContrastiveEncoderTransformer model = ml.Transforms.Cmc(options).Fit(data);
        Assert.Equal("CMC", model.Report.Method);
        Assert.Equal(3, model.Report.Steps);
        Assert.Equal(2 * 16, model.Report.EmbeddingDim); // two views of 4w features at w = 4
        Assert.True(model.Report.OnnxParityMaxAbsDifference <= options.ParityTolerance);
        Assert.All(model.Report.EpochLosses, l => Assert.True(double.IsFinite(l) && l > 0));
        float[][] embeddings = TinyFits.Embeddings(ml, model.Transform(data));
        Assert.Equal(24, embeddings.Length);
        Assert.All(embeddings, e => Assert.Equal(32, e.Length));
        AssertSaveLoadGivesTheSameEmbeddings(ml, model, data);
    }

    [Fact]
    public void ColourFitWithThreeLabViewsAndTheCoreViewObjectiveRoundTrips()
    {
        var ml = new MLContext(1);
        IDataView data = RgbData(ml);
        CmcOptions options = Options(new ImageShape(3, 8, 8));
        options.ViewSplit = CmcViewSplit.LabChannels;
        options.Objective = CmcObjective.CoreView;
        options.EncoderPooling = Encoders.EmbeddingPooling.Quadrants;
        ContrastiveEncoderTransformer model = ml.Transforms.Cmc(options).Fit(data);
        Assert.Equal(3 * 16 * 4, model.Report.EmbeddingDim);
        Assert.True(model.Report.OnnxParityMaxAbsDifference <= options.ParityTolerance);
        using (var session = new Microsoft.ML.OnnxRuntime.InferenceSession(model.GetOnnxModel()))
        {
            IDictionary<string, string> metadata = session.ModelMetadata.CustomMetadataMap;
            Assert.Equal("L,a,b", metadata["contrastiveml.cmc.views"]);
            Assert.Equal("64,64,64", metadata["contrastiveml.cmc.view_embedding_dims"]);
            Assert.Equal("4", metadata["contrastiveml.cmc.view_encoder_width"]);
            Assert.Equal("CMC", metadata["contrastiveml.method"]);
        }
        AssertSaveLoadGivesTheSameEmbeddings(ml, model, data);
    }

    [Fact]
    public void DefaultsUseHalfWidthEncodersPerView()
    {
        var ml = new MLContext(1);
        // MaxSteps = 0 exports the randomly initialised encoders: enough to see their size.
        CmcOptions options = new() { ImageShape = new ImageShape(3, 8, 8), BatchSize = 8, MaxSteps = 0, Negatives = CmcNegatives.Batch, Seed = 1, Device = TrainingDevice.Cpu };
        ContrastiveEncoderTransformer model = ml.Transforms.Cmc(options).Fit(RgbData(ml, 8));
        Assert.Equal(2 * 4 * 16, model.Report.EmbeddingDim); // L and ab encoders of width 32 / 2 = 16, 4w features each
    }

    [Fact]
    public void TheSimpleOverloadSizesTheBankFromTheDataAndSaysSo()
    {
        var ml = new MLContext(1);
        var messages = new List<string>();
        ml.Log += (_, e) => { lock (messages) messages.Add(e.Message); };
        CmcEstimator estimator = ml.Transforms.Cmc("Embedding", "Pixels", new ImageShape(3, 8, 8), batchSize: 8);
        // 8 rows: a tenth is 0, so the bank is one batch, 8 images.
        ContrastiveEncoderTransformer model = estimator.Fit(RgbData(ml, 8));
        Assert.True(model.Report.Steps > 0);
        Assert.Contains(messages, m => m.Contains("a memory bank of 8 images per view (MemoryBankSize = null: the paper's 16,384 capped at a tenth of the 8 training rows"));

        // A bank given explicitly is used as is, and one larger than the data still fails before training.
        CmcOptions paper = Options();
        paper.MemoryBankSize = CmcOptions.PaperMemoryBankSize;
        var error = Assert.Throws<InvalidOperationException>(() => ml.Transforms.Cmc(paper).Fit(TinyFits.Data(ml, 24)));
        Assert.Contains("MemoryBankSize = 16384", error.Message);
        Assert.Contains("Negatives = Batch", error.Message);
    }

    [Theory]
    [InlineData(null, 60_000L, 256, 6_000)]       // a tenth of Fashion-MNIST
    [InlineData(null, 1_281_167L, 256, 16_384)]   // ImageNet: the paper's bank
    [InlineData(null, 100L, 8, 10)]
    [InlineData(null, 50L, 8, 8)]                 // never below one batch
    [InlineData(20, 60_000L, 8, 20)]              // given: used as is
    public void TheDefaultBankIsThePapersCappedAtATenthOfTheRowsAndAtLeastABatch(int? given, long rows, int batchSize, int expected)
    {
        Assert.Equal(expected, new CmcOptions { MemoryBankSize = given }.ResolveMemoryBankSize(rows, batchSize));
    }

    [Fact]
    public void GetOutputSchemaAddsTheEmbeddingAndNamesAWrongSizedInput()
    {
        var ml = new MLContext(1);
        IDataView data = TinyFits.Data(ml, 8);
        SchemaShape output = ml.Transforms.Cmc(Options()).GetOutputSchema(ShapeOf(data.Schema));
        SchemaShape.Column column = output.Single(c => c.Name == "Embedding");
        Assert.Equal(SchemaShape.Column.VectorKind.Vector, column.Kind);

        var error = Assert.Throws<ArgumentException>(() => ml.Transforms.Cmc(Options(new ImageShape(1, 9, 9))).Fit(data));
        Assert.Contains("'Pixels'", error.Message);
    }

    [Theory]
    [InlineData(nameof(CmcOptions.Temperature), "positive")]
    [InlineData(nameof(CmcOptions.MemoryBankSize), "at least BatchSize (8)")]
    [InlineData(nameof(CmcOptions.ProjectionDim), "at least 1")]
    [InlineData(nameof(CmcOptions.LowPassSigma), "0 (automatic) or a positive number of pixels")]
    [InlineData(nameof(CmcOptions.Objective), "FullGraph or CoreView")]
    [InlineData(nameof(CmcOptions.Negatives), "MemoryBank or Batch")]
    public void InvalidOptionsNameTheOptionTheValueAndWhatIsAllowed(string option, string allowed)
    {
        var ml = new MLContext(1);
        CmcOptions options = Options();
        string found;
        switch (option)
        {
            case nameof(CmcOptions.Temperature): options.Temperature = 0; found = "0"; break;
            case nameof(CmcOptions.MemoryBankSize): options.MemoryBankSize = 4; found = "4"; break;
            case nameof(CmcOptions.ProjectionDim): options.ProjectionDim = 0; found = "0"; break;
            case nameof(CmcOptions.LowPassSigma): options.LowPassSigma = -1; found = "-1"; break;
            case nameof(CmcOptions.Objective): options.Objective = (CmcObjective)9; found = "9"; break;
            default: options.Negatives = (CmcNegatives)9; found = "9"; break;
        }
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => ml.Transforms.Cmc(options));
        Assert.Equal(option, error.ParamName);
        Assert.Contains(allowed, error.Message);
        Assert.Contains($"found {found}", error.Message);
    }

    [Fact]
    public void ASmallBankIsFineWithBatchNegatives()
    {
        var ml = new MLContext(1);
        CmcOptions options = Options();
        options.Negatives = CmcNegatives.Batch;
        options.MemoryBankSize = 1;
        // The bank is not used with batch negatives, so a size below the batch trains as usual...
        ContrastiveEncoderTransformer model = ml.Transforms.Cmc(options).Fit(TinyFits.Data(ml, 24));
        Assert.Equal(3, model.Report.Steps);
        // ...where the same size with the bank in use is refused, naming the option.
        options.Negatives = CmcNegatives.MemoryBank;
        var error = Assert.ThrowsAny<ArgumentException>(() => ml.Transforms.Cmc(options));
        Assert.Contains(nameof(CmcOptions.MemoryBankSize), error.Message);
    }

    [Fact]
    public void ImagesWithNoViewSplitFailWhenTheEstimatorIsCreated()
    {
        var ml = new MLContext(1);
        var error = Assert.Throws<ArgumentException>(() => ml.Transforms.Cmc(Options(new ImageShape(2, 8, 8))));
        Assert.Equal(nameof(CmcOptions.ViewSplit), error.ParamName);
        Assert.Contains("2-channel", error.Message);

        CmcOptions lab = Options();
        lab.ViewSplit = CmcViewSplit.LuminanceChroma;
        error = Assert.Throws<ArgumentException>(() => ml.Transforms.Cmc(lab));
        Assert.Contains("needs 3-channel images", error.Message);
        Assert.Contains("ImageShape.Channels is 1", error.Message);
    }

    [Fact]
    public void ABankLargerThanTheDataFailsBeforeTraining()
    {
        var ml = new MLContext(1);
        var progress = new List<Training.TrainingProgress>();
        CmcOptions options = Options();
        options.MemoryBankSize = 64;
        options.Progress = new SynchronousProgress(progress.Add);
        options.ProgressIntervalSeconds = 1e-6;
        var error = Assert.Throws<InvalidOperationException>(() => ml.Transforms.Cmc(options).Fit(TinyFits.Data(ml, 24)));
        Assert.Contains("MemoryBankSize = 64", error.Message);
        Assert.Contains("24 training rows", error.Message);
        Assert.Empty(progress);
    }
}
