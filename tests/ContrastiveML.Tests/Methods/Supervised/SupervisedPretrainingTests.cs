using ContrastiveML.Data;
using ContrastiveML.Methods.Supervised;
using ContrastiveML.Training;
using Microsoft.ML;
using Microsoft.ML.Data;
using static ContrastiveML.Tests.EstimatorTestKit;

namespace ContrastiveML.Tests;

/// <summary>
/// The supervised cross-entropy reference (<see cref="SupervisedPretrainingEstimator"/>): the simple overload, the
/// classifier sized from the label scan, option checks and learning a separable toy set. Label types, label errors,
/// schema, ONNX parity and save/load are checked for every supervised estimator in <see cref="EstimatorConformanceTests"/>.
/// </summary>
public class SupervisedPretrainingTests
{
    internal static SupervisedPretrainingOptions Options(int maxSteps = 2) => TinyFits.Tiny(new SupervisedPretrainingOptions(), maxSteps);

    [Fact]
    public void TheSimpleOverloadSetsTheColumnsAndTheOutputSchemaHasTheEmbedding()
    {
        var ml = new MLContext(1);
        IDataView data = UIntData(ml);
        SupervisedPretrainingEstimator estimator = ml.Transforms.SupervisedPretraining("Features", "Pixels", "Label", TinyFits.Shape, epochs: 3, batchSize: 8);
        SchemaShape output = estimator.GetOutputSchema(ShapeOf(data.Schema));
        SchemaShape.Column features = Assert.Single(output, c => c.Name == "Features");
        Assert.Equal(SchemaShape.Column.VectorKind.Vector, features.Kind);
        Assert.Equal(NumberDataViewType.Single, features.ItemType);
    }

    [Fact]
    public void TheClassifierHasOneOutputPerClassOfTheLabelScan()
    {
        var ml = new MLContext(1);
        // Text labels get indices in order of appearance; key labels are key − 1, so a key column whose largest key
        // is 5 needs five outputs even when key 2 never occurs.
        IDataView text = ml.Data.LoadFromEnumerable(Rows(12, (p, i) => new TextLabelRow { Pixels = p, Label = new[] { "a", "b", "c", "d" }[i % 4] }));
        LabelColumn textLabels = LabelColumn.Resolve(text.Schema, "Label", "data");
        Assert.Equal(4, textLabels.CountRows(text, () => { }).Count);
        Assert.Equal(4, textLabels.ClassCount);

        IDataView keys = ml.Data.LoadFromEnumerable(Rows(12, (p, i) => new LabelledEightByEightRow { Pixels = p, Label = new uint[] { 1, 3, 4, 5 }[i % 4] }));
        keys = ml.Transforms.Conversion.MapValueToKey("Label", keyOrdinality: Microsoft.ML.Transforms.ValueToKeyMappingEstimator.KeyOrdinality.ByValue)
            .Fit(ml.Data.LoadFromEnumerable(Rows(5, (p, i) => new LabelledEightByEightRow { Pixels = p, Label = (uint)(i + 1) }))).Transform(keys);
        LabelColumn keyLabels = LabelColumn.Resolve(keys.Schema, "Label", "data");
        Dictionary<long, long> counts = keyLabels.CountRows(keys, () => { });
        Assert.Equal(new long[] { 0, 2, 3, 4 }, counts.Keys.OrderBy(k => k));
        Assert.Equal(5, keyLabels.ClassCount);

        using var method = new SupervisedPretrainingMethod(
            Encoders.EncoderFactory.Create(Encoders.EncoderKind.CompactCnn, TinyFits.Shape, 4),
            Augmentation.SimClrAugmentationOptions.ForSmallGrayscale(), TinyFits.Shape, keyLabels.ClassCount);
        using var encoder = method.Encoder;
        long[] classifierShape = method.TrainableParameters().Last().shape; // the classifier's bias comes last
        Assert.Equal(new long[] { 5 }, classifierShape);
    }

    [Fact]
    public void EmptyLabelColumnNameIsRejectedNamingTheOption()
    {
        SupervisedPretrainingOptions options = Options();
        options.LabelColumnName = " ";
        var error = Assert.Throws<ArgumentException>(() => new MLContext(1).Transforms.SupervisedPretraining(options));
        Assert.Equal(nameof(SupervisedPretrainingOptions.LabelColumnName), error.ParamName);
    }

    /// <summary>
    /// 8x8 images of horizontal (class 0) or vertical (class 1) stripes with a random phase, contrast and noise: the
    /// orientation survives the augmentation (crops, horizontal flips, brightness and contrast jitter), so a classifier
    /// can learn it from the augmented views.
    /// </summary>
    private static LabelledEightByEightRow[] Stripes(int count, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count).Select(i =>
        {
            var row = new LabelledEightByEightRow { Label = (uint)(i % 2) };
            int phase = random.Next(2);
            float amplitude = 80 + 100 * (float)random.NextDouble();
            for (int y = 0; y < 8; y++)
            for (int x = 0; x < 8; x++)
            {
                int along = row.Label == 0 ? y : x;
                row.Pixels[y * 8 + x] = 40 + ((along + phase) % 2) * amplitude + 20 * (float)random.NextDouble();
            }
            return row;
        }).ToArray();
    }

    [Fact]
    public void LearnsASeparableToySet()
    {
        var ml = new MLContext(1);
        IDataView train = ml.Data.LoadFromEnumerable(Stripes(128, seed: 1));
        var progress = new List<TrainingProgress>();
        SupervisedPretrainingOptions options = Options(maxSteps: 60);
        options.BatchSize = 32;
        options.LearningRate = 1e-2;
        options.ProgressIntervalSeconds = 1e-9; // a report, with the batch accuracy, after every step
        options.Progress = new SynchronousProgress(progress.Add);
        ContrastiveEncoderTransformer model = ml.Transforms.SupervisedPretraining(options).Fit(train);
        Assert.Equal(60, progress.Count);

        // Chance is 0.5 and log 2 = 0.69: the first step is at chance level, the last ten classify the augmented
        // training views almost perfectly.
        Assert.True(progress[0].Loss > 0.5, $"first step's loss {progress[0].Loss:F3}");
        double lateAccuracy = progress.TakeLast(10).Average(p => p.Extra[SupervisedPretrainingMethod.AccuracyFigure]);
        Assert.True(lateAccuracy >= 0.95, $"batch accuracy over the last ten steps {lateAccuracy:F3}");
        Assert.True(model.Report.EpochLosses[^1] < 0.25, $"last epoch's mean loss {model.Report.EpochLosses[^1]:F3}");

        // The dropped head's knowledge stays in the embedding: a linear probe on held-out stripes separates them.
        IDataView test = ml.Data.LoadFromEnumerable(Stripes(64, seed: 2));
        ITransformer probe = ml.Transforms.Conversion.MapValueToKey("Label")
            .Append(ml.MulticlassClassification.Trainers.LbfgsMaximumEntropy("Label", "Embedding"))
            .Fit(model.Transform(train));
        MulticlassClassificationMetrics metrics = ml.MulticlassClassification.Evaluate(probe.Transform(model.Transform(test)));
        Assert.True(metrics.MacroAccuracy >= 0.95, $"held-out linear-probe accuracy {metrics.MacroAccuracy:F3}");
    }
}
