using ContrastiveML.Losses;
using ContrastiveML.Methods.MetricLearning;
using ContrastiveML.Training;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.OnnxRuntime;
using static ContrastiveML.Tests.EstimatorTestKit;

namespace ContrastiveML.Tests;

/// <summary>The ML.NET surface of metric learning: schema, label and option checks, tiny fits with and without labels, save/load, ONNX, progress and warnings.</summary>
public class MetricLearningEstimatorTests
{
    internal static MetricLearningOptions Options(string? label = "Label", int maxSteps = 2) =>
        TinyFits.Tiny(new MetricLearningOptions { LabelColumnName = label }, maxSteps);

    private static (List<TrainingProgress> Progress, List<string> Warnings) Record(MLContext ml, MetricLearningOptions options)
    {
        var progress = new List<TrainingProgress>();
        var warnings = new List<string>();
        options.Progress = new SynchronousProgress(progress.Add);
        options.ProgressIntervalSeconds = 1e-9; // a report after every step
        ml.Log += (_, e) => { if (e.Kind == Microsoft.ML.Runtime.ChannelMessageKind.Warning) lock (warnings) warnings.Add(e.Message); };
        return (progress, warnings);
    }

    private static void AssertRoundTrips(MLContext ml, ContrastiveEncoderTransformer model, IDataView data)
    {
        float[][] before = TinyFits.Embeddings(ml, model.Transform(data));
        Assert.Equal(data.GetRowCount() ?? 16, before.Length);
        Assert.All(before, e => Assert.Equal(model.EmbeddingDim, e.Length));
        Assert.All(before.SelectMany(e => e), v => Assert.True(float.IsFinite(v)));
        Assert.NotEqual(before[0], before[1]);

        using var stream = new MemoryStream();
        ml.Model.Save(model, data.Schema, stream);
        stream.Position = 0;
        var fresh = new MLContext(2);
        ITransformer loaded = fresh.Model.Load(stream, out _);
        float[][] after = TinyFits.Embeddings(fresh, loaded.Transform(data));
        for (int i = 0; i < before.Length; i++) Assert.Equal(before[i], after[i]);
    }

    [Fact]
    public void SchemaPropagationAddsTheEmbeddingAndChecksTheLabelOnlyWhenOneIsNamed()
    {
        var ml = new MLContext(1);
        IDataView data = UIntData(ml);
        SchemaShape output = ml.Transforms.MetricLearning(Options()).GetOutputSchema(ShapeOf(data.Schema));
        SchemaShape.Column embedding = Assert.Single(output, c => c.Name == "Embedding");
        Assert.Equal(SchemaShape.Column.VectorKind.Vector, embedding.Kind);
        Assert.Equal(NumberDataViewType.Single, embedding.ItemType);
        Assert.Single(output, c => c.Name == "Label");

        IDataView unlabelled = TinyFits.Data(ml, 16);
        Assert.Single(ml.Transforms.MetricLearning(Options(label: null)).GetOutputSchema(ShapeOf(unlabelled.Schema)), c => c.Name == "Embedding");
        var error = Assert.Throws<ArgumentException>(() => ml.Transforms.MetricLearning(Options()).GetOutputSchema(ShapeOf(unlabelled.Schema)));
        Assert.Contains("'Label'", error.Message);
    }

    [Fact]
    public void SingleClassAndAllUniqueLabelsFailBeforeTraining()
    {
        var ml = new MLContext(1);
        MetricLearningOptions options = Options();
        var (progress, _) = Record(ml, options);
        var single = Assert.Throws<InvalidOperationException>(() => ml.Transforms.MetricLearning(options).Fit(UIntData(ml, label: _ => 4)));
        Assert.Contains("single class", single.Message);
        Assert.Contains("'Label'", single.Message);
        Assert.Contains("LabelColumnName = null", single.Message);
        var unique = Assert.Throws<InvalidOperationException>(() => ml.Transforms.MetricLearning(options).Fit(UIntData(ml, label: i => (uint)i)));
        Assert.Contains("unique", unique.Message);
        Assert.Empty(progress);
    }

    [Theory]
    [InlineData(nameof(MetricLearningOptions.Margin), "-0.1")]
    [InlineData(nameof(MetricLearningOptions.Margin), "NaN")]
    [InlineData(nameof(MetricLearningOptions.Margin), "0")]             // with the default SemiHard miner
    [InlineData(nameof(MetricLearningOptions.TripletMiner), "Easy")]
    [InlineData(nameof(MetricLearningOptions.TripletMiner), "9")]
    [InlineData(nameof(MetricLearningOptions.PairMiner), "5")]
    [InlineData(nameof(MetricLearningOptions.Loss), "3")]
    [InlineData(nameof(MetricLearningOptions.Distance), "4")]
    [InlineData(nameof(MetricLearningOptions.PositiveMargin), "-1")]
    [InlineData(nameof(MetricLearningOptions.NegativeMargin), "0")]    // not above PositiveMargin = 0
    [InlineData(nameof(MetricLearningOptions.ProjectionDim), "-1")]
    [InlineData(nameof(MetricLearningOptions.CollapseSpread), "2")]
    public void InvalidOptionsAreNamedWithTheValueFound(string option, string value)
    {
        MetricLearningOptions options = Options();
        double.TryParse(value, System.Globalization.CultureInfo.InvariantCulture, out double number); // "Easy" is a name, not a number
        switch (option)
        {
            case nameof(MetricLearningOptions.Margin): options.Margin = number; break;
            case nameof(MetricLearningOptions.TripletMiner): options.TripletMiner = value == "Easy" ? TripletMining.Easy : (TripletMining)(int)number; break;
            case nameof(MetricLearningOptions.PairMiner): options.PairMiner = (PairMining)(int)number; break;
            case nameof(MetricLearningOptions.Loss): options.Loss = (MetricLossKind)(int)number; break;
            case nameof(MetricLearningOptions.Distance): options.Distance = (DistanceKind)(int)number; break;
            case nameof(MetricLearningOptions.PositiveMargin): options.PositiveMargin = number; break;
            case nameof(MetricLearningOptions.NegativeMargin): options.NegativeMargin = number; break;
            case nameof(MetricLearningOptions.ProjectionDim): options.ProjectionDim = (int)number; break;
            case nameof(MetricLearningOptions.CollapseSpread): options.CollapseSpread = number; break;
        }
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new MLContext(1).Transforms.MetricLearning(options));
        Assert.Equal(option, error.ParamName);
        Assert.Contains($"found {value}", error.Message);
    }

    [Fact]
    public void MarginZeroIsAllowedWhereItMeansSomethingAndABlankLabelNameIsRefused()
    {
        MetricLearningOptions options = Options();
        options.Margin = 0;
        options.TripletMiner = TripletMining.Hard; // a hard triplet has d(a, n) < d(a, p): active even without a margin
        new MLContext(1).Transforms.MetricLearning(options);
        options = Options(label: " ");
        Assert.Equal(nameof(MetricLearningOptions.LabelColumnName),
                     Assert.Throws<ArgumentException>(() => new MLContext(1).Transforms.MetricLearning(options)).ParamName);
    }

    [Fact]
    public void TripletFitWithLabelsExportsToOnnxAndRoundTripsThroughTheModelZip()
    {
        var ml = new MLContext(1);
        IDataView data = UIntData(ml);
        MetricLearningOptions options = Options();
        options.TripletMiner = TripletMining.All;
        ContrastiveEncoderTransformer model = ml.Transforms.MetricLearning(options).Fit(data);
        Assert.Equal("MetricLearning", model.Report.Method);
        Assert.Equal(2, model.Report.Steps);
        Assert.InRange(model.Report.OnnxParityMaxAbsDifference, 0, 1e-4);
        using (var session = new InferenceSession(model.GetOnnxModel()))
            Assert.Equal("MetricLearning", session.ModelMetadata.CustomMetadataMap["contrastiveml.method"]);
        AssertRoundTrips(ml, model, data);
    }

    [Fact]
    public void ContrastiveFitWithoutLabelsWithAHeadRoundTripsThroughTheModelZip()
    {
        var ml = new MLContext(1);
        IDataView data = TinyFits.Data(ml, 16);   // no label column at all
        MetricLearningOptions options = Options(label: null);
        options.Loss = MetricLossKind.Contrastive;
        options.PairMiner = PairMining.Hard;
        options.Distance = DistanceKind.Cosine;
        options.ProjectionDim = 8;
        ContrastiveEncoderTransformer model = ml.Transforms.MetricLearning(options).Fit(data);
        Assert.Equal(2, model.Report.Steps);
        Assert.InRange(model.Report.OnnxParityMaxAbsDifference, 0, 1e-4);
        AssertRoundTrips(ml, model, data);
    }

    [Theory]
    [InlineData(MetricLossKind.Triplet, "Label")]
    [InlineData(MetricLossKind.Contrastive, "Label")]
    [InlineData(MetricLossKind.Triplet, null)]
    public void ProgressCarriesTheActiveFractionDistancesAndSpread(MetricLossKind loss, string? label)
    {
        var ml = new MLContext(1);
        MetricLearningOptions options = Options(label, maxSteps: 3);
        options.Loss = loss;
        options.TripletMiner = TripletMining.All;
        var (progress, _) = Record(ml, options);
        ml.Transforms.MetricLearning(options).Fit(UIntData(ml));

        Assert.Equal(3, progress.Count);
        foreach (TrainingProgress p in progress)
        {
            Assert.InRange(p.Extra[MetricLearningMethod.ActiveFractionFigure], 0.0, 1.0);
            Assert.InRange(p.Extra[MetricLearningMethod.SpreadFigure], 0.0, 2.0);
            Assert.InRange(p.Extra[MetricLearningMethod.PositiveDistanceFigure], 0.0, 2.0);
            Assert.InRange(p.Extra[MetricLearningMethod.NegativeDistanceFigure], 0.0, 2.0);
            Assert.Contains("activeFraction=", p.ToString());
        }
        // All triplets and all pairs are mined, whatever the labels of the batch.
        Assert.All(progress, p => Assert.Equal(1.0, p.Extra[MetricLearningMethod.MinedFractionFigure]));
        // At the random start some triplets or pairs violate the margin.
        Assert.True(progress[0].Extra[MetricLearningMethod.ActiveFractionFigure] > 0);
    }

    [Fact]
    public void SemiHardMiningMinesAFractionOfTheTripletsAllActive()
    {
        var ml = new MLContext(1);
        MetricLearningOptions options = Options(maxSteps: 3);
        options.Margin = 0.5;
        var (progress, _) = Record(ml, options);
        ml.Transforms.MetricLearning(options).Fit(UIntData(ml));
        Assert.All(progress, p => Assert.InRange(p.Extra[MetricLearningMethod.MinedFractionFigure], 1e-9, 1 - 1e-9));
        Assert.All(progress, p => Assert.Equal(1.0, p.Extra[MetricLearningMethod.ActiveFractionFigure]));
    }

    [Fact]
    public void ALossStuckAtZeroIsReportedAndWarnedOnce()
    {
        var ml = new MLContext(1);
        MetricLearningOptions options = Options(maxSteps: 3);
        options.Margin = 1e-12; // no negative lies strictly inside a margin this thin: nothing semi-hard is mined
        var (progress, warnings) = Record(ml, options);
        ml.Transforms.MetricLearning(options).Fit(UIntData(ml));

        Assert.All(progress, p => Assert.Equal(0.0, p.Extra[MetricLearningMethod.ActiveFractionFigure]));
        Assert.All(progress, p => Assert.Equal(0.0, p.Extra[MetricLearningMethod.MinedFractionFigure]));
        Assert.All(progress, p => Assert.Equal(0.0, p.Loss));
        string warning = Assert.Single(warnings, w => w.Contains("no triplet was active"));
        Assert.Contains("Raise Margin", warning);
    }

    [Fact]
    public void TheCollapseAlarmFiresOnceBelowItsSpread()
    {
        var ml = new MLContext(1);
        MetricLearningOptions options = Options(maxSteps: 3);
        // Unit-length embeddings of non-negative (post-ReLU) features are at most √2 apart: a threshold of 1.99 is always crossed.
        options.CollapseSpread = 1.99;
        var (progress, warnings) = Record(ml, options);
        ml.Transforms.MetricLearning(options).Fit(UIntData(ml));
        string warning = Assert.Single(warnings, w => w.Contains("collapsing"));
        Assert.Contains("CollapseSpread = 1.99", warning);
        Assert.All(progress, p => Assert.True(p.Extra[MetricLearningMethod.SpreadFigure] < 1.99));

        var quiet = new MLContext(1);
        MetricLearningOptions defaults = Options(maxSteps: 3);
        var (_, none) = Record(quiet, defaults);
        quiet.Transforms.MetricLearning(defaults).Fit(UIntData(quiet));
        Assert.DoesNotContain(none, w => w.Contains("collapsing"));
    }

    [Fact]
    public void CatalogSimpleOverloadFillsTheOptions()
    {
        var ml = new MLContext(1);
        MetricLearningEstimator estimator = ml.Transforms.MetricLearning("E", "Pixels", TinyFits.Shape, labelColumnName: "Label", loss: MetricLossKind.Contrastive);
        SchemaShape output = estimator.GetOutputSchema(ShapeOf(UIntData(ml).Schema));
        Assert.Single(output, c => c.Name == "E");
        Assert.Throws<ArgumentException>(() => ml.Transforms.MetricLearning("E", "Pixels", TinyFits.Shape, labelColumnName: "Missing")
                                                .GetOutputSchema(ShapeOf(UIntData(ml).Schema)));
    }
}
