using System.Text.Json;
using ContrastiveML.Onnx;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.OnnxRuntime;

namespace ContrastiveML.Tests;

/// <summary>
/// "Encoder + linear classifier" as one ONNX graph (ContrastiveModel.ExportClassifierToOnnx): ONNX Runtime's scores and
/// predicted labels on raw pixels are checked against ML.NET's predictions with the same pipeline, fitted and loaded.
/// </summary>
public class ClassifierExportTests
{
    private static readonly string[] Names = { "shirt", "boot", "bag" };

    public sealed class Prediction
    {
        public float[] Score { get; set; } = Array.Empty<float>();
        public string PredictedText { get; set; } = "";
    }

    private static (MLContext Ml, IDataView Data, TextLabelRow[] Rows) Data()
    {
        var ml = new MLContext(1);
        var random = new Random(5);
        TextLabelRow[] rows = Enumerable.Range(0, 30).Select(i => new TextLabelRow
        {
            // Each class has its own brightness, which even a barely trained encoder's pooled features carry.
            Pixels = Enumerable.Range(0, 64).Select(_ => (float)random.Next(100) + 70 * (i % 3)).ToArray(),
            Label = Names[i % 3],
        }).ToArray();
        return (ml, ml.Data.LoadFromEnumerable(rows), rows);
    }

    private static IEstimator<ITransformer> Encoder(MLContext ml) => ml.Transforms.SimClr(TinyFits.Options(maxSteps: 2));

    private static Prediction[] MlNetPredictions(MLContext ml, ITransformer model, IDataView data) =>
        ml.Data.CreateEnumerable<Prediction>(ml.Transforms.Conversion.MapKeyToValue("PredictedText", "PredictedLabel").Fit(model.Transform(data)).Transform(model.Transform(data)), reuseRowObject: false).ToArray();

    /// <summary>Runs the exported model on the rows' raw pixels; returns its scores, predicted labels and label list.</summary>
    private static (float[][] Scores, string[] Labels, string[] ClassLabels, string[] Outputs) RunOnnx(byte[] onnx, TextLabelRow[] rows)
    {
        using var session = new InferenceSession(onnx);
        string[] classLabels = JsonSerializer.Deserialize<string[]>(session.ModelMetadata.CustomMetadataMap[OnnxClassifierHead.LabelsKey])!;
        float[] pixels = rows.SelectMany(r => r.Pixels).ToArray();
        using var input = OrtValue.CreateTensorValueFromMemory(pixels, new long[] { rows.Length, 64 });
        using var runOptions = new RunOptions();
        using var outputs = session.Run(runOptions, new Dictionary<string, OrtValue> { [session.InputMetadata.Keys.Single()] = input }, new[] { "Score", "PredictedIndex" });
        float[] scores = outputs[0].GetTensorDataAsSpan<float>().ToArray();
        long[] indices = outputs[1].GetTensorDataAsSpan<long>().ToArray();
        int k = classLabels.Length;
        return (Enumerable.Range(0, rows.Length).Select(i => scores[(i * k)..((i + 1) * k)]).ToArray(),
                indices.Select(i => classLabels[i]).ToArray(), classLabels, session.OutputMetadata.Keys.ToArray());
    }

    private static void AssertMatches(Prediction[] expected, (float[][] Scores, string[] Labels, string[] ClassLabels, string[] Outputs) actual)
    {
        Assert.Equal(expected.Length, actual.Scores.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.Equal(expected[i].Score.Length, actual.Scores[i].Length);
            for (int k = 0; k < expected[i].Score.Length; k++)
            {
                Assert.True(Math.Abs(expected[i].Score[k] - actual.Scores[i][k]) <= 1e-4, $"row {i}, class {k}: ML.NET {expected[i].Score[k]}, ONNX {actual.Scores[i][k]}");
            }
        }
        Assert.Equal(expected.Select(p => p.PredictedText), actual.Labels);
    }

    [Fact]
    public void MaximumEntropyOnTheEmbeddingMatchesMLNetAndNamesTheClasses()
    {
        var (ml, data, rows) = Data();
        ITransformer model = Encoder(ml)
            .Append(ml.Transforms.Conversion.MapValueToKey("Label"))
            .Append(ml.MulticlassClassification.Trainers.SdcaMaximumEntropy("Label", "Embedding", l2Regularization: 1e-6f, maximumNumberOfIterations: 100))
            .Fit(data);
        Prediction[] expected = MlNetPredictions(ml, model, data);

        var onnx = RunOnnx(ContrastiveModel.ExportClassifierToOnnx(model, data.Schema), rows);
        AssertMatches(expected, onnx);
        Assert.Equal(Names, onnx.ClassLabels);   // MapValueToKey orders the keys as first seen
        Assert.Equal(new[] { "Embedding", "Score", "PredictedIndex" }, onnx.Outputs);
        Assert.All(onnx.Scores, s => Assert.Equal(1.0, s.Sum(), 4));
        // The classifier learned something, so the comparison is not between two constant answers.
        Assert.True(expected.Select(p => p.PredictedText).Distinct().Count() > 1);
    }

    public sealed class NumericPrediction
    {
        public float[] Score { get; set; } = Array.Empty<float>();
        public uint PredictedValue { get; set; }
    }

    [Fact]
    public void TheProbesPipelineWithANormalizerFoldsItInFittedAndLoaded()
    {
        // The probe's data: numeric labels (first seen in the order 2, 0, 1); the exported labels are the key's values.
        var (ml, textData, textRows) = Data();
        TextLabelRow[] rows = textRows;
        IDataView data = ml.Data.LoadFromEnumerable(rows.Select((r, i) => new LabelledEightByEightRow { Pixels = r.Pixels, Label = (uint)((Array.IndexOf(Names, r.Label) + 2) % 3) }).ToArray());
        ITransformer model = Encoder(ml)
            .Append(ml.Transforms.Conversion.MapValueToKey("LabelKey", "Label"))
            .Append(ml.Transforms.NormalizeMeanVariance("ProbeFeatures", "Embedding"))
            .Append(ml.MulticlassClassification.Trainers.LbfgsMaximumEntropy("LabelKey", "ProbeFeatures"))
            .Fit(data);
        IDataView scored = model.Transform(data);
        Prediction[] expected = ml.Data.CreateEnumerable<NumericPrediction>(ml.Transforms.Conversion.MapKeyToValue("PredictedValue", "PredictedLabel").Fit(scored).Transform(scored), reuseRowObject: false)
            .Select(p => new Prediction { Score = p.Score, PredictedText = p.PredictedValue.ToString(System.Globalization.CultureInfo.InvariantCulture) }).ToArray();
        Assert.Equal(new[] { "0", "1", "2" }, RunOnnx(ContrastiveModel.ExportClassifierToOnnx(model, data.Schema), rows).ClassLabels.Order());
        AssertMatches(expected, RunOnnx(ContrastiveModel.ExportClassifierToOnnx(model, data.Schema), rows));

        // From the model zip, loaded with ContrastiveModel.Load (batched scorer) and with stock ML.NET (OnnxTransformer).
        using var zip = new MemoryStream();
        ml.Model.Save(model, data.Schema, zip);
        ITransformer loaded = ContrastiveModel.Load(new MLContext(2), new MemoryStream(zip.ToArray()), out DataViewSchema schema);
        AssertMatches(expected, RunOnnx(ContrastiveModel.ExportClassifierToOnnx(loaded, schema), rows));
        ITransformer stock = new MLContext(3).Model.Load(new MemoryStream(zip.ToArray()), out DataViewSchema stockSchema);
        string path = Path.Combine(Path.GetTempPath(), $"classifier-{Guid.NewGuid():N}.onnx");
        try
        {
            ContrastiveModel.ExportClassifierToOnnx(stock, stockSchema, path);
            AssertMatches(expected, RunOnnx(File.ReadAllBytes(path), rows));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void ANonCalibratedLinearTrainerExportsItsRawScores()
    {
        var (ml, data, rows) = Data();
        ITransformer model = Encoder(ml)
            .Append(ml.Transforms.Conversion.MapValueToKey("Label"))
            .Append(ml.MulticlassClassification.Trainers.SdcaNonCalibrated("Label", "Embedding", maximumNumberOfIterations: 20))
            .Fit(data);
        var onnx = RunOnnx(ContrastiveModel.ExportClassifierToOnnx(model, data.Schema), rows);
        AssertMatches(MlNetPredictions(ml, model, data), onnx);
        Assert.Contains(onnx.Scores, s => Math.Abs(s.Sum() - 1) > 1e-3);   // raw scores, not probabilities
    }

    [Fact]
    public void PipelinesThatCannotBeExportedAreRefusedSayingWhy()
    {
        var (ml, data, _) = Data();
        // No encoder.
        ITransformer pixelsOnly = ml.Transforms.Conversion.MapValueToKey("Label")
            .Append(ml.MulticlassClassification.Trainers.SdcaMaximumEntropy("Label", "Pixels", maximumNumberOfIterations: 5)).Fit(data);
        var error = Assert.Throws<ArgumentException>(() => ContrastiveModel.ExportClassifierToOnnx(pixelsOnly, data.Schema));
        Assert.Contains("no contrastive encoder", error.Message);
        Assert.Contains("ValueToKeyMappingTransformer", error.Message);

        // An encoder and no trainer.
        ITransformer encoderOnly = Encoder(ml).Fit(data);
        error = Assert.Throws<ArgumentException>(() => ContrastiveModel.ExportClassifierToOnnx(encoderOnly, data.Schema));
        Assert.Contains("no multiclass trainer after the encoder", error.Message);

        // A trainer on features that are more than the embedding.
        ITransformer concatenated = Encoder(ml)
            .Append(ml.Transforms.Concatenate("Features", "Embedding", "Pixels"))
            .Append(ml.Transforms.Conversion.MapValueToKey("Label"))
            .Append(ml.MulticlassClassification.Trainers.SdcaMaximumEntropy("Label", "Features", maximumNumberOfIterations: 5)).Fit(data);
        error = Assert.Throws<ArgumentException>(() => ContrastiveModel.ExportClassifierToOnnx(concatenated, data.Schema));
        Assert.Contains("column 'Features'", error.Message);
        Assert.Contains("'Embedding'", error.Message);
    }
}
