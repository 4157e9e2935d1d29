using Microsoft.ML;
using Microsoft.ML.Data;

namespace ContrastiveML.Tests;

/// <summary>
/// What every estimator of the library owes an ML.NET pipeline, checked for each one the same way (after ML.NET's
/// TestDataPipeBase): the output schema it announces is the one its transformer produces; a pixel column that is
/// missing or of the wrong type, kind or size is refused by GetOutputSchema and by Fit with the column, what was expected
/// and what was found; a fit exports with ONNX parity, survives the model zip and scores data without the label column.
/// Each estimator's own test class covers its options, its losses and what only it does.
/// </summary>
public class EstimatorConformanceTests
{
    public static TheoryData<EstimatorCase> Estimators => EstimatorTestKit.Cases();

    private sealed class DoubleRow
    {
        [VectorType(64)] public double[] Pixels { get; set; } = new double[64];
        public uint Label { get; set; }
    }

    private sealed class VariableRow
    {
        public float[] Pixels { get; set; } = new float[64];
        public uint Label { get; set; }
    }

    private sealed class ScalarRow
    {
        public float Pixels { get; set; }
        public uint Label { get; set; }
    }

    private sealed class WrongSizeRow
    {
        [VectorType(63)] public float[] Pixels { get; set; } = new float[63];
        public uint Label { get; set; }
    }

    private sealed class RenamedRow
    {
        [VectorType(64)] public float[] Image { get; set; } = new float[64];
        public uint Label { get; set; }
    }

    private sealed class PixelsOnlyRow
    {
        [VectorType(64)] public float[] Pixels { get; set; } = new float[64];
    }

    private sealed class DoubleSizeRow
    {
        [VectorType(128)] public float[] Pixels { get; set; } = new float[128];
    }

    [Theory]
    [MemberData(nameof(Estimators))]
    public void TheAnnouncedSchemaIsTheOneTheFittedTransformerProduces(EstimatorCase estimator)
    {
        var ml = new MLContext(1);
        IDataView data = ml.Data.LoadFromEnumerable(EstimatorTestKit.LabelledRows(24));

        SchemaShape announced = estimator.Create(ml).GetOutputSchema(EstimatorTestKit.ShapeOf(data.Schema));
        SchemaShape.Column embedding = announced.Single(c => c.Name == "Embedding");
        Assert.Equal(SchemaShape.Column.VectorKind.Vector, embedding.Kind);
        Assert.Equal(NumberDataViewType.Single, embedding.ItemType);
        Assert.Contains(announced, c => c.Name == "Pixels");
        Assert.Contains(announced, c => c.Name == "Label");

        ContrastiveEncoderTransformer model = estimator.Create(ml).Fit(data);
        DataViewSchema produced = model.Transform(data).Schema;
        // A known-size float vector of EmbeddingDim values. Its dimensions are ML.NET's reading of the ONNX output [N, D]:
        // (1, D), which every ML.NET consumer (trainers, Concatenate, float[] fields) takes as D values.
        var embeddingType = Assert.IsType<VectorDataViewType>(produced["Embedding"].Type);
        Assert.Equal(NumberDataViewType.Single, embeddingType.ItemType);
        Assert.Equal(model.EmbeddingDim, embeddingType.Size);
        Assert.Equal(data.Schema["Pixels"].Type, produced["Pixels"].Type); // the input is kept as given
        Assert.Equal(data.Schema["Label"].Type, produced["Label"].Type);
        Assert.Equal(produced["Embedding"].Type, model.GetOutputSchema(data.Schema)["Embedding"].Type);
        foreach (SchemaShape.Column column in announced)
            Assert.True(produced.GetColumnOrNull(column.Name) is { IsHidden: false }, $"{estimator}: announced column '{column.Name}' is not in the fitted output.");
    }

    public static TheoryData<EstimatorCase, string> EstimatorsAndBadPixelColumns()
    {
        var data = new TheoryData<EstimatorCase, string>();
        foreach (EstimatorCase estimator in EstimatorTestKit.All())
            foreach (string bad in new[] { "missing", "double", "variable-size", "scalar", "wrong-size" })
                data.Add(estimator, bad);
        return data;
    }

    [Theory]
    [MemberData(nameof(EstimatorsAndBadPixelColumns))]
    public void ABadPixelColumnIsRefusedNamingTheColumnTheExpectedAndTheFound(EstimatorCase estimator, string bad)
    {
        var ml = new MLContext(1);
        (IDataView data, string found) = bad switch
        {
            "missing" => (ml.Data.LoadFromEnumerable(new[] { new RenamedRow(), new RenamedRow { Label = 1 } }), "'Image'"),
            "double" => (ml.Data.LoadFromEnumerable(new[] { new DoubleRow(), new DoubleRow { Label = 1 } }), "Double"),
            "variable-size" => (ml.Data.LoadFromEnumerable(new[] { new VariableRow(), new VariableRow { Label = 1 } }), "variable-size"),
            "scalar" => (ml.Data.LoadFromEnumerable(new[] { new ScalarRow(), new ScalarRow { Label = 1 } }), "scalar"),
            _ => (ml.Data.LoadFromEnumerable(new[] { new WrongSizeRow(), new WrongSizeRow { Label = 1 } }), "63 values"),
        };

        var errors = new List<ArgumentException> { Assert.Throws<ArgumentException>(() => estimator.Create(ml).Fit(data)) };
        // A SchemaShape carries no vector sizes, so schema propagation can refuse every bad column but the wrong-sized one.
        if (bad != "wrong-size")
            errors.Add(Assert.Throws<ArgumentException>(() => estimator.Create(ml).GetOutputSchema(EstimatorTestKit.ShapeOf(data.Schema))));
        foreach (ArgumentException error in errors)
        {
            Assert.Contains("'Pixels'", error.Message);
            Assert.Contains("64", error.Message); // expected: 64 pixels (1x8x8)
            Assert.Contains(found, error.Message);
        }
    }

    [Theory]
    [MemberData(nameof(Estimators))]
    public void AFitExportsWithParitySurvivesTheModelZipAndScoresWithoutTheLabel(EstimatorCase estimator)
    {
        var ml = new MLContext(1);
        LabelledEightByEightRow[] rows = EstimatorTestKit.LabelledRows(24);
        IDataView data = ml.Data.LoadFromEnumerable(rows);
        ContrastiveEncoderTransformer model = estimator.Create(ml).Fit(data);

        Assert.InRange(model.Report.OnnxParityMaxAbsDifference, 0, 1e-4);
        float[][] before = TinyFits.Embeddings(ml, model.Transform(data));
        Assert.Equal(rows.Length, before.Length);
        Assert.All(before, e => Assert.Equal(model.EmbeddingDim, e.Length));
        Assert.All(before.SelectMany(e => e), v => Assert.True(float.IsFinite(v)));

        using var stream = new MemoryStream();
        ml.Model.Save(model, data.Schema, stream);
        stream.Position = 0;
        var fresh = new MLContext(2);
        ITransformer loaded = fresh.Model.Load(stream, out DataViewSchema savedSchema);
        Assert.Equal(data.Schema["Pixels"].Type, savedSchema["Pixels"].Type);

        // Scoring needs the pixels alone: the label was for training.
        IDataView pixelsOnly = fresh.Data.LoadFromEnumerable(rows.Select(r => new PixelsOnlyRow { Pixels = r.Pixels }));
        float[][] after = TinyFits.Embeddings(fresh, loaded.Transform(pixelsOnly));
        Assert.Equal(before.Length, after.Length);
        for (int i = 0; i < before.Length; i++) Assert.Equal(before[i], after[i]);
        Assert.Equal(before, TinyFits.Embeddings(ml, model.Transform(ml.Data.LoadFromEnumerable(rows.Select(r => new PixelsOnlyRow { Pixels = r.Pixels })))));
    }

    [Theory]
    [MemberData(nameof(Estimators))]
    public void AFittedTransformerRefusesPixelsOfAnotherSizeAsFitDoes(EstimatorCase estimator)
    {
        var ml = new MLContext(1);
        ContrastiveEncoderTransformer model = estimator.Create(ml).Fit(ml.Data.LoadFromEnumerable(EstimatorTestKit.LabelledRows(24)));
        // 63 values do not divide into 64-pixel images; 128 would pass ONNX scoring's own check as two images per row.
        foreach ((IDataView data, string found) in new[]
                 {
                     (ml.Data.LoadFromEnumerable(new[] { new WrongSizeRow() }), "63 values"),
                     (ml.Data.LoadFromEnumerable(new[] { new DoubleSizeRow() }), "128 values"),
                 })
        {
            foreach (ArgumentException error in new[]
                     {
                         Assert.Throws<ArgumentException>(() => model.Transform(data)),
                         Assert.Throws<ArgumentException>(() => model.GetOutputSchema(data.Schema)),
                         Assert.Throws<ArgumentException>(() => model.GetRowToRowMapper(data.Schema)),
                     })
            {
                Assert.Contains("'Pixels'", error.Message);
                Assert.Contains("64 Single values (1x8x8", error.Message);
                Assert.Contains(found, error.Message);
            }
        }
    }
}
