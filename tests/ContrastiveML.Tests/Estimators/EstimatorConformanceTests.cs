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

    public static TheoryData<EstimatorCase> SupervisedEstimators => EstimatorTestKit.Cases(labelsOnly: true);

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

        Assert.Equal(estimator.Name, model.Report.Method);
        Assert.Equal((long)estimator.Options().MaxSteps!.Value, model.Report.Steps);
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
        IDataView training = ml.Data.LoadFromEnumerable(EstimatorTestKit.LabelledRows(24));
        ContrastiveEncoderTransformer model = estimator.Create(ml).Fit(training);
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

        // The same model loaded back with its batched scoring (ContrastiveModel.Load) refuses them too.
        using var stream = new MemoryStream();
        ml.Model.Save(model, training.Schema, stream);
        stream.Position = 0;
        ITransformer loaded = ContrastiveModel.Load(new MLContext(2), stream, out _);
        foreach ((IDataView data, string found) in new[]
                 {
                     (ml.Data.LoadFromEnumerable(new[] { new WrongSizeRow() }), "63"),
                     (ml.Data.LoadFromEnumerable(new[] { new DoubleSizeRow() }), "128 values"),
                 })
        {
            Exception error = Assert.ThrowsAny<Exception>(() => loaded.Transform(data));
            Assert.Contains("'Pixels'", error.Message);
            Assert.Contains("64", error.Message);
            Assert.Contains(found, error.Message);
        }
    }

    [Theory]
    [MemberData(nameof(SupervisedEstimators))]
    public void LabelsOfEveryScalarKindTrain(EstimatorCase estimator)
    {
        var ml = new MLContext(1);
        string[] names = { "cat", "dog", "owl" };
        IDataView uints = EstimatorTestKit.UIntData(ml);
        var labelled = new (string Kind, IDataView Data)[]
        {
            ("UInt32", uints),
            ("Text", ml.Data.LoadFromEnumerable(EstimatorTestKit.Rows(16, (p, i) => new TextLabelRow { Pixels = p, Label = names[i % 3] }))),
            ("Single", ml.Data.LoadFromEnumerable(EstimatorTestKit.Rows(16, (p, i) => new FloatLabelRow { Pixels = p, Label = i % 3 }))),
            ("Key", ml.Transforms.Conversion.MapValueToKey("Label").Fit(uints).Transform(uints)),
        };
        Assert.IsType<KeyDataViewType>(labelled[^1].Data.Schema["Label"].Type);
        foreach ((string kind, IDataView data) in labelled)
        {
            ContrastiveEncoderTransformer model = estimator.Create(ml).Fit(data);
            Assert.True(model.Report.Steps > 0, $"{estimator} with {kind} labels trained no step.");
            float[][] embeddings = TinyFits.Embeddings(ml, model.Transform(data));
            Assert.Equal(16, embeddings.Length);
            Assert.All(embeddings.SelectMany(e => e), v => Assert.True(float.IsFinite(v), $"{estimator} with {kind} labels: {v}"));
        }
    }

    [Theory]
    [MemberData(nameof(SupervisedEstimators))]
    public void AMissingOrVectorLabelColumnIsRefusedNamingItWhatIsExpectedAndWhatIsThere(EstimatorCase estimator)
    {
        var ml = new MLContext(1);
        IDataView data = EstimatorTestKit.UIntData(ml);
        var renamed = estimator.Create(ml, o => EstimatorTestKit.SetLabelColumn(o, "Class"));
        var missing = Assert.Throws<ArgumentException>(() => renamed.Fit(data));
        Assert.Contains("'Class'", missing.Message);
        Assert.Contains("'Label'", missing.Message); // the columns that are there
        Assert.Contains("'Pixels'", missing.Message);
        Assert.Contains("'Class'", Assert.Throws<ArgumentException>(() => renamed.GetOutputSchema(EstimatorTestKit.ShapeOf(data.Schema))).Message);

        IDataView vector = ml.Data.LoadFromEnumerable(EstimatorTestKit.Rows(16, (p, _) => new VectorLabelRow { Pixels = p }));
        var wrong = Assert.Throws<ArgumentException>(() => estimator.Create(ml).Fit(vector));
        Assert.Contains("'Label'", wrong.Message);
        Assert.Contains("scalar key", wrong.Message);
        Assert.Contains("vector of Single", wrong.Message);
    }

    [Theory]
    [MemberData(nameof(SupervisedEstimators))]
    public void LabelsThatCannotTeachFailBeforeTheFirstStep(EstimatorCase estimator)
    {
        var ml = new MLContext(1);
        var progress = new List<Training.TrainingProgress>();
        void Record(ContrastiveEncoderOptions options)
        {
            options.Progress = new SynchronousProgress(progress.Add);
            options.ProgressIntervalSeconds = 1e-6;
        }

        var single = Assert.Throws<InvalidOperationException>(() => estimator.Create(ml, Record).Fit(EstimatorTestKit.UIntData(ml, label: _ => 4)));
        Assert.Contains("single class", single.Message);
        Assert.Contains("'Label'", single.Message);
        Assert.Contains("16 rows", single.Message);

        var unique = Assert.Throws<InvalidOperationException>(() => estimator.Create(ml, Record).Fit(EstimatorTestKit.UIntData(ml, label: i => (uint)i)));
        Assert.Contains("unique", unique.Message);
        Assert.Contains("'Label'", unique.Message);

        FloatLabelRow[] rows = EstimatorTestKit.Rows(16, (p, i) => new FloatLabelRow { Pixels = p, Label = i % 2 });
        rows[11].Label = float.NaN;
        var missing = Assert.Throws<InvalidOperationException>(() => estimator.Create(ml, Record).Fit(ml.Data.LoadFromEnumerable(rows)));
        Assert.Contains("'Label'", missing.Message);
        Assert.Contains("row 11", missing.Message);
        Assert.Contains("NaN", missing.Message);

        Assert.Empty(progress);
    }
}
