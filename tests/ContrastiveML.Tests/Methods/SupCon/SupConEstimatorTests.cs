using ContrastiveML.Data;
using Microsoft.ML;
using Microsoft.ML.Data;
using static ContrastiveML.Tests.EstimatorTestKit;

namespace ContrastiveML.Tests;

/// <summary>
/// What only SupCon does (tiny fits): the progress figure, the readers that keep labels with their rows and balance
/// classes, one view per image, the cross-entropy term, no head, Int64 labels. Label types, label errors, schema and
/// save/load are checked for every supervised estimator in <see cref="EstimatorConformanceTests"/>.
/// </summary>
public class SupConEstimatorTests
{
    private sealed class LongRow
    {
        [VectorType(64)] public float[] Pixels { get; set; } = new float[64];
        public long Label { get; set; }
    }

    internal static SupConOptions Options(int maxSteps = 2) => TinyFits.Tiny(new SupConOptions { ProjectionDim = 8 }, maxSteps);

    [Fact]
    public void ProgressReportsTheSameClassFraction()
    {
        var ml = new MLContext(1);
        var progress = new List<Training.TrainingProgress>();
        SupConOptions options = Options();
        options.Progress = new SynchronousProgress(progress.Add);
        options.ProgressIntervalSeconds = 1e-6;
        ml.Transforms.SupCon(options).Fit(UIntData(ml));

        Assert.NotEmpty(progress);
        Assert.All(progress, p => Assert.InRange(p.Extra["anchorsWithPositives"], 0.0, 1.0));
        // 8 images of 3 classes: some class has at least 3 images in every batch.
        Assert.All(progress, p => Assert.True(p.Extra["anchorsWithPositives"] > 0));
    }

    [Fact]
    public void ReaderKeepsLabelsWithTheirRowsThroughTheShuffle()
    {
        var ml = new MLContext(1);
        // Pixel 0 of row i holds i and its label is i % 5, so every emitted row can be checked against its label.
        LabelledEightByEightRow[] rows = Enumerable.Range(0, 50).Select(i =>
        {
            var row = new LabelledEightByEightRow { Label = (uint)(i % 5) };
            row.Pixels[0] = i;
            return row;
        }).ToArray();
        IDataView data = ml.Data.LoadFromEnumerable(rows);
        var reader = new PixelBatchReader(data, "Pixels", 64, shuffleBufferSize: 7, LabelColumn.Resolve(data.Schema, "Label", "data"));
        int seen = 0;
        foreach (PixelBatch batch in reader.ReadEpoch(8, new Random(3), minimumLastBatch: 1))
        {
            Assert.NotNull(batch.Labels);
            for (int j = 0; j < batch.Count; j++)
            {
                int i = (int)batch.Pixels[j * 64];
                Assert.Equal(i % 5, batch.Labels![j]);
                seen++;
            }
        }
        Assert.Equal(50, seen);
    }

    [Fact]
    public void BalancedReaderGivesEqualRowsPerClassKeptWithTheirLabels()
    {
        var ml = new MLContext(1);
        LabelledEightByEightRow[] rows = Enumerable.Range(0, 60).Select(i =>
        {
            var row = new LabelledEightByEightRow { Label = (uint)(i % 5) };
            row.Pixels[0] = i;
            return row;
        }).ToArray();
        IDataView data = ml.Data.LoadFromEnumerable(rows);
        var reader = new PixelBatchReader(data, "Pixels", 64, shuffleBufferSize: 20, LabelColumn.Resolve(data.Schema, "Label", "data"), samplesPerClass: 2);
        var batches = reader.ReadEpoch(8, new Random(3)).ToList();
        Assert.NotEmpty(batches);
        var seen = new HashSet<int>();
        foreach (PixelBatch batch in batches)
        {
            Assert.Equal(8, batch.Count);
            var perClass = batch.Labels!.Take(batch.Count).GroupBy(l => l).ToList();
            Assert.Equal(4, perClass.Count);
            Assert.All(perClass, g => Assert.Equal(2, g.Count()));
            for (int j = 0; j < batch.Count; j++)
            {
                int i = (int)batch.Pixels[j * 64];
                Assert.Equal(i % 5, batch.Labels![j]);
                Assert.True(seen.Add(i), $"row {i} emitted twice");
            }
        }
    }

    [Fact]
    public void ClassBalancedFitGivesEveryImageASameClassPartner()
    {
        var ml = new MLContext(1);
        var progress = new List<Training.TrainingProgress>();
        SupConOptions options = Options();
        options.ClassBalancedBatches = true;
        options.SamplesPerClass = 2;
        options.Progress = new SynchronousProgress(progress.Add);
        options.ProgressIntervalSeconds = 1e-6;
        ContrastiveEncoderTransformer model = ml.Transforms.SupCon(options).Fit(UIntData(ml, count: 24));
        Assert.Equal(2, model.Report.Steps);
        Assert.NotEmpty(progress);
        Assert.All(progress, p => Assert.Equal(1.0, p.Extra["anchorsWithPositives"]));
    }

    [Fact]
    public void ClassBalancedBatchesNeedTwoClassesWithEnoughRows()
    {
        var ml = new MLContext(1);
        SupConOptions options = Options();
        options.ClassBalancedBatches = true;
        options.SamplesPerClass = 4;
        // Classes 0 and 1 have 2 rows each, class 2 has 12: only one class has 4 rows.
        IDataView data = UIntData(ml, label: i => i < 4 ? (uint)(i % 2) : 2);
        var error = Assert.Throws<InvalidOperationException>(() => ml.Transforms.SupCon(options).Fit(data));
        Assert.Contains("at least two classes with 4 or more rows", error.Message);
    }

    [Theory]
    [InlineData(nameof(SupConOptions.Temperature), "0", "positive")]
    [InlineData(nameof(SupConOptions.ViewsPerImage), "0", "1 or 2")]
    [InlineData(nameof(SupConOptions.ViewsPerImage), "3", "1 or 2")]
    [InlineData(nameof(SupConOptions.ProjectionDim), "-1", "0 (no head) or positive")]
    [InlineData(nameof(SupConOptions.CrossEntropyWeight), "-0.5", "0 (SupCon alone) or positive")]
    public void InvalidOptionsNameTheOptionTheValueAndWhatIsAllowed(string option, string value, string allowed)
    {
        SupConOptions options = Options();
        switch (option)
        {
            case nameof(SupConOptions.Temperature): options.Temperature = double.Parse(value, System.Globalization.CultureInfo.InvariantCulture); break;
            case nameof(SupConOptions.ViewsPerImage): options.ViewsPerImage = int.Parse(value, System.Globalization.CultureInfo.InvariantCulture); break;
            case nameof(SupConOptions.CrossEntropyWeight): options.CrossEntropyWeight = double.Parse(value, System.Globalization.CultureInfo.InvariantCulture); break;
            default: options.ProjectionDim = int.Parse(value, System.Globalization.CultureInfo.InvariantCulture); break;
        }
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new MLContext(1).Transforms.SupCon(options));
        Assert.Equal(option, error.ParamName);
        Assert.Contains(allowed, error.Message);
        Assert.Contains($"found {value}", error.Message);
    }

    [Fact]
    public void OneViewPerImageTrainsOnTheLabelsAloneAndRoundTrips()
    {
        var ml = new MLContext(1);
        IDataView data = UIntData(ml);
        SupConOptions options = Options(maxSteps: 3);
        options.ViewsPerImage = 1;
        var progress = new List<Training.TrainingProgress>();
        options.Progress = new SynchronousProgress(progress.Add);
        options.ProgressIntervalSeconds = 1e-6;
        ContrastiveEncoderTransformer model = ml.Transforms.SupCon(options).Fit(data);
        Assert.Equal(3, model.Report.Steps);
        // One view: the loss is finite and positive (8 images of 3 classes: some anchors have same-class partners).
        Assert.All(model.Report.LossCurve, p => Assert.True(double.IsFinite(p.Loss) && p.Loss > 0, $"loss {p.Loss}"));
        Assert.All(progress, p => Assert.True(p.Extra["anchorsWithPositives"] > 0));

        // Differs from the two-view fit of the same seed (the views are drawn differently), and saves and loads.
        SupConOptions twoViews = Options(maxSteps: 3);
        float[][] one = TinyFits.Embeddings(ml, model.Transform(data));
        float[][] two = TinyFits.Embeddings(ml, ml.Transforms.SupCon(twoViews).Fit(data).Transform(data));
        Assert.NotEqual(one[0], two[0]);
        string path = Path.Combine(Path.GetTempPath(), $"supcon-one-view-{Guid.NewGuid():N}.zip");
        try
        {
            ml.Model.Save(model, data.Schema, path);
            ITransformer loaded = ml.Model.Load(path, out _);
            float[][] reloaded = TinyFits.Embeddings(ml, loaded.Transform(data));
            for (int i = 0; i < one.Length; i++)
                for (int j = 0; j < one[i].Length; j++) Assert.Equal(one[i][j], reloaded[i][j], 4);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void CrossEntropyWeightAddsTheClassifiersCrossEntropyToSupCon()
    {
        var ml = new MLContext(1);
        IDataView data = UIntData(ml); // 3 classes
        SupConOptions plain = Options(), weighted = Options();
        weighted.CrossEntropyWeight = 0.5;
        using Training.TrainingSetup alone = ((Training.ITrainingSetupSource)ml.Transforms.SupCon(plain)).PrepareTraining(data, seed: 1);
        using Training.TrainingSetup joint = ((Training.ITrainingSetupSource)ml.Transforms.SupCon(weighted)).PrepareTraining(data, seed: 1);

        // Encoder, head, then the classifier over the embedding, one output per class.
        TorchSharp.torch.nn.Module[] modules = joint.Method.Modules().ToArray();
        Assert.Equal(3, modules.Length);
        var classifier = Assert.IsType<TorchSharp.Modules.Linear>(modules[2]);
        Assert.Equal(new long[] { 3, joint.Encoder.EmbeddingDim }, classifier.weight!.shape);

        // Same seed, same batch, same views: the classifier is made after the encoder and head, so the SupCon parts are
        // identical and the losses differ by exactly 0.5 x the classifier's cross-entropy (reported as a progress figure).
        ContrastiveML.Data.PixelBatch batch = alone.Reader.ReadEpoch(8, new Random(1)).First();
        float Loss(Training.TrainingSetup setup)
        {
            setup.Method.SetTraining(true);
            using var scope = TorchSharp.torch.NewDisposeScope();
            using var generator = new TorchSharp.torch.Generator(5);
            TorchSharp.torch.Tensor images = Training.TrainingStep.BatchToTensor(batch, TinyFits.Shape, TorchSharp.torch.CPU).div(255f);
            TorchSharp.torch.Tensor labels = Training.TrainingStep.LabelsToTensor(batch, TorchSharp.torch.CPU)!;
            return setup.Method.ComputeLoss(new Training.ContrastiveBatch(images, labels, x => x, generator)).item<float>();
        }
        float supCon = Loss(alone), total = Loss(joint);
        double crossEntropy = joint.Method.ProgressFigures()[Methods.SupCon.SupConMethod.CrossEntropyFigure];
        Assert.InRange(crossEntropy, 0.1, 5);
        Assert.Equal(supCon + 0.5 * crossEntropy, total, 4);
        Assert.False(alone.Method.ProgressFigures().ContainsKey(Methods.SupCon.SupConMethod.CrossEntropyFigure));

        // Fit trains and drops the classifier: the embedding is the encoder's, as without the term.
        ContrastiveEncoderTransformer model = ml.Transforms.SupCon(weighted).Fit(data);
        Assert.Equal(joint.Encoder.EmbeddingDim, TinyFits.Embeddings(ml, model.Transform(data))[0].Length);
    }

    [Fact]
    public void ProjectionDimZeroTrainsWithoutAHead()
    {
        var ml = new MLContext(1);
        IDataView data = UIntData(ml);
        SupConOptions options = Options(maxSteps: 2);
        options.ProjectionDim = 0;
        // What Fit trains: the encoder alone, no head modules or parameters.
        using (Training.TrainingSetup setup = ((Training.ITrainingSetupSource)ml.Transforms.SupCon(options)).PrepareTraining(data, seed: 1))
        {
            Assert.Same(setup.Encoder, Assert.Single(setup.Method.Modules()));
            Assert.Equal(setup.Encoder.parameters().Count(), setup.Method.TrainableParameters().Count());
        }
        ContrastiveEncoderTransformer model = ml.Transforms.SupCon(options).Fit(data);
        Assert.Equal(2, model.Report.Steps);
        Assert.All(model.Report.LossCurve, p => Assert.True(double.IsFinite(p.Loss) && p.Loss > 0, $"loss {p.Loss}"));
    }

    [Fact]
    public void Int64LabelsBeyondDoublePrecisionStayDistinct()
    {
        var ml = new MLContext(1);
        long big = 1L << 60;
        LongRow[] rows = Enumerable.Range(0, 4).Select(i => new LongRow { Label = big + (i % 2) }).ToArray();
        IDataView data = ml.Data.LoadFromEnumerable(rows);
        var reader = new PixelBatchReader(data, "Pixels", 64, shuffleBufferSize: 0, LabelColumn.Resolve(data.Schema, "Label", "data"));
        PixelBatch batch = reader.ReadEpoch(4, new Random(1)).Single();
        Assert.Equal(new long[] { 0, 1, 0, 1 }, batch.Labels);
    }
}
