using ContrastiveML.Onnx;
using ContrastiveML.Scoring;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms.Image;
using Microsoft.ML.Transforms.Onnx;

namespace ContrastiveML.Tests;

/// <summary>
/// The batched in-pipeline scoring (BatchedOnnxScorer) against ML.NET's stock OnnxTransformer, which scores one row
/// per session run: same rows, same order, same embeddings within <see cref="Tolerance"/>, for any row count against
/// the batch size, column subsets, shuffled cursors and image input; and the saved model still loads with stock ML.NET.
/// </summary>
public class BatchedScoringTests
{
    /// <summary>
    /// Largest |batched - stock| allowed per embedding value. ONNX Runtime may pick different GEMM blockings for a
    /// batch of 256 and for one row, which changes float32 summation order. On this machine's CPU the two agree
    /// bit for bit (these tests pass with a tolerance of 0); the allowance is for other CPUs' kernels, on embeddings
    /// of magnitude about 1.
    /// </summary>
    private const float Tolerance = 1e-5f;

    public sealed class IdRow
    {
        public int Id { get; set; }
        [VectorType(64)] public float[] Pixels { get; set; } = new float[64];
    }

    private static IdRow[] Rows(int count) =>
        TinyFits.Rows(count, seed: 11).Select((r, i) => new IdRow { Id = i, Pixels = r.Pixels }).ToArray();

    private static ContrastiveEncoderTransformer Fit(MLContext ml) => ml.Transforms.SimClr(TinyFits.Options(maxSteps: 1)).Fit(TinyFits.Data(ml, 24));

    /// <summary>The model saved and loaded back with stock ML.NET: its OnnxTransformer scores one row per run.</summary>
    private static ITransformer StockLoaded(MLContext ml, ITransformer model, DataViewSchema schema)
    {
        using var stream = new MemoryStream();
        ml.Model.Save(model, schema, stream);
        stream.Position = 0;
        return ml.Model.Load(stream, out _);
    }

    private static IEnumerable<ITransformer> Flatten(ITransformer model) =>
        model is IEnumerable<ITransformer> chain ? chain.SelectMany(Flatten) : new[] { model };

    /// <summary>Id and embedding of every row a cursor over both columns gives, in cursor order.</summary>
    private static List<(int Id, float[] Embedding)> Read(IDataView view, Random? rand = null)
    {
        DataViewSchema.Column id = view.Schema["Id"], embedding = view.Schema["Embedding"];
        using DataViewRowCursor cursor = view.GetRowCursor(new[] { id, embedding }, rand);
        ValueGetter<int> getId = cursor.GetGetter<int>(id);
        ValueGetter<VBuffer<float>> getEmbedding = cursor.GetGetter<VBuffer<float>>(embedding);
        var rows = new List<(int, float[])>();
        int value = 0;
        VBuffer<float> vector = default;
        while (cursor.MoveNext())
        {
            getId(ref value);
            getEmbedding(ref vector);
            rows.Add((value, vector.DenseValues().ToArray()));
        }
        return rows;
    }

    private static void AssertClose(float[] expected, float[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - actual[i]) <= Tolerance, $"value {i}: expected {expected[i]}, batched {actual[i]}");
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(300)] // a full batch of 256 and a partial one of 44
    public void BatchedEmbeddingsEqualTheStockScorersForAnyRowCount(int count)
    {
        var ml = new MLContext(1);
        ContrastiveEncoderTransformer model = Fit(ml);
        IDataView data = ml.Data.LoadFromEnumerable(Rows(count));
        Assert.Contains(Flatten(model.Inner), t => t is BatchedOnnxScorer);

        List<(int Id, float[] Embedding)> batched = Read(model.Transform(data));
        List<(int Id, float[] Embedding)> stock = Read(StockLoaded(ml, model, data.Schema).Transform(data));

        Assert.Equal(count, batched.Count);
        Assert.Equal(Enumerable.Range(0, count), batched.Select(r => r.Id));
        Assert.Equal(stock.Select(r => r.Id), batched.Select(r => r.Id));
        for (int i = 0; i < count; i++) AssertClose(stock[i].Embedding, batched[i].Embedding);
    }

    [Fact]
    public void PartialLastBatchesAndBatchBoundariesLineUp()
    {
        // 23 rows in batches of 7: 7, 7, 7 and 2, against the stock transformer on the same ONNX bytes.
        var ml = new MLContext(1);
        ContrastiveEncoderTransformer model = Fit(ml);
        IDataView data = ml.Data.LoadFromEnumerable(Rows(23));
        byte[] onnx = model.GetOnnxModel();
        using var stream = new MemoryStream(onnx);
        ITransformer stock = ml.Transforms.ApplyOnnxModel("Embedding", "Pixels", stream).Fit(data);
        using var batchedScorer = new BatchedOnnxScorer(ml.Transforms.ApplyOnnxModel("Embedding", "Pixels", new MemoryStream(onnx)).Fit(data),
                                                        OnnxScoringSession.Create(onnx), batchRows: 7);

        List<(int Id, float[] Embedding)> batched = Read(batchedScorer.Transform(data));
        List<(int Id, float[] Embedding)> expected = Read(stock.Transform(data));

        Assert.Equal(Enumerable.Range(0, 23), batched.Select(r => r.Id));
        for (int i = 0; i < 23; i++) AssertClose(expected[i].Embedding, batched[i].Embedding);
        Assert.Equal(stock.GetOutputSchema(data.Schema).Select(c => (c.Name, c.Type)), batchedScorer.GetOutputSchema(data.Schema).Select(c => (c.Name, c.Type)));
        (stock as IDisposable)?.Dispose();
    }

    [Fact]
    public void ColumnSubsetsServeOnlyWhatWasAskedFor()
    {
        var ml = new MLContext(1);
        ContrastiveEncoderTransformer model = Fit(ml);
        IdRow[] rows = Rows(10);
        IDataView scored = model.Transform(ml.Data.LoadFromEnumerable(rows));
        List<(int Id, float[] Embedding)> expected = Read(StockLoaded(ml, model, scored.Schema).Transform(ml.Data.LoadFromEnumerable(rows)));
        DataViewSchema.Column id = scored.Schema["Id"], pixels = scored.Schema["Pixels"], embedding = scored.Schema["Embedding"];

        // Only the id: no scoring, and the embedding is not available.
        using (DataViewRowCursor cursor = scored.GetRowCursor(new[] { id }))
        {
            Assert.False(cursor.IsColumnActive(embedding));
            Assert.Throws<InvalidOperationException>(() => cursor.GetGetter<VBuffer<float>>(embedding));
            ValueGetter<int> getId = cursor.GetGetter<int>(id);
            var ids = new List<int>();
            int value = 0;
            while (cursor.MoveNext()) { getId(ref value); ids.Add(value); }
            Assert.Equal(Enumerable.Range(0, 10), ids);
        }

        // Only the embedding: positions and row ids still advance row by row.
        using (DataViewRowCursor cursor = scored.GetRowCursor(new[] { embedding }))
        {
            Assert.False(cursor.IsColumnActive(id));
            Assert.Throws<InvalidOperationException>(() => cursor.GetGetter<int>(id));
            ValueGetter<VBuffer<float>> getEmbedding = cursor.GetGetter<VBuffer<float>>(embedding);
            ValueGetter<DataViewRowId> getRowId = cursor.GetIdGetter();
            var rowIds = new HashSet<DataViewRowId>();
            VBuffer<float> vector = default;
            DataViewRowId rowId = default;
            for (int i = 0; cursor.MoveNext(); i++)
            {
                Assert.Equal(i, cursor.Position);
                getEmbedding(ref vector);
                AssertClose(expected[i].Embedding, vector.DenseValues().ToArray());
                getRowId(ref rowId);
                Assert.True(rowIds.Add(rowId), "row ids repeat");
            }
            Assert.Equal(10, rowIds.Count);
            Assert.False(cursor.MoveNext());
        }

        // The pixels next to their embedding: the pass-through column stands on the same row.
        using (DataViewRowCursor cursor = scored.GetRowCursor(new[] { pixels, embedding }))
        {
            ValueGetter<VBuffer<float>> getPixels = cursor.GetGetter<VBuffer<float>>(pixels);
            ValueGetter<VBuffer<float>> getEmbedding = cursor.GetGetter<VBuffer<float>>(embedding);
            VBuffer<float> values = default, vector = default;
            for (int i = 0; cursor.MoveNext(); i++)
            {
                getPixels(ref values);
                getEmbedding(ref vector);
                Assert.Equal(rows[i].Pixels, values.DenseValues().ToArray());
                AssertClose(expected[i].Embedding, vector.DenseValues().ToArray());
            }
        }

        // Wrong value type for the embedding: a clear error, not a cast failure inside ML.NET.
        using (DataViewRowCursor cursor = scored.GetRowCursor(new[] { embedding }))
        {
            var error = Assert.Throws<InvalidOperationException>(() => cursor.GetGetter<float>(embedding));
            Assert.Contains("'Embedding'", error.Message);
        }
    }

    [Fact]
    public void ShuffledCursorsAndCursorSetsKeepEachRowWithItsEmbedding()
    {
        var ml = new MLContext(1);
        ContrastiveEncoderTransformer model = Fit(ml);
        // A cached view can shuffle, so the scored view can too.
        IDataView data = ml.Data.Cache(ml.Data.LoadFromEnumerable(Rows(40)));
        IDataView scored = model.Transform(data);
        Assert.True(scored.CanShuffle);
        Assert.Equal(40, scored.GetRowCount());
        Dictionary<int, float[]> expected = Read(StockLoaded(ml, model, data.Schema).Transform(data)).ToDictionary(r => r.Id, r => r.Embedding);

        List<(int Id, float[] Embedding)> shuffled = Read(scored, new Random(5));
        Assert.Equal(Enumerable.Range(0, 40), shuffled.Select(r => r.Id).Order());
        Assert.NotEqual(Enumerable.Range(0, 40), shuffled.Select(r => r.Id));
        foreach ((int rowId, float[] embedding) in shuffled) AssertClose(expected[rowId], embedding);

        // ShuffleRows and a cursor set (one cursor: the batch is the parallelism) see the same rows.
        Assert.Equal(40, Read(ml.Data.ShuffleRows(scored, seed: 3)).Select(r => r.Id).Distinct().Count());
        DataViewRowCursor[] set = scored.GetRowCursorSet(new[] { scored.Schema["Embedding"] }, 4);
        Assert.Single(set);
        int count = 0;
        while (set[0].MoveNext()) count++;
        set[0].Dispose();
        Assert.Equal(40, count);
    }

    private sealed class ImageRow
    {
        public int Id { get; set; }
        [ImageType(8, 8)] public MLImage? Image { get; set; }
    }

    /// <summary>Fresh MLImage objects on every pass (ML.NET's pixel extraction disposes the images it has read).</summary>
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
                yield return new ImageRow { Id = i, Image = MLImage.CreateFromPixels(8, 8, MLPixelFormat.Bgra32, bgra) };
            }
        }

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
    }

    [Fact]
    public void ImageInputIsExtractedThenScoredInBatches()
    {
        var ml = new MLContext(1);
        IDataView data = ml.Data.LoadFromEnumerable(new FreshImages(19));
        SimClrOptions options = TinyFits.Options(maxSteps: 1);
        options.InputColumnName = "Image";
        ContrastiveEncoderTransformer model = ml.Transforms.SimClr(options).Fit(data);

        List<(int Id, float[] Embedding)> batched = Read(model.Transform(data));
        List<(int Id, float[] Embedding)> stock = Read(StockLoaded(ml, model, data.Schema).Transform(data));

        Assert.Equal(Enumerable.Range(0, 19), batched.Select(r => r.Id));
        for (int i = 0; i < 19; i++) AssertClose(stock[i].Embedding, batched[i].Embedding);
        Assert.Null(model.Transform(data).Schema.GetColumnOrNull("Embedding.Pixels"));
    }

    [Fact]
    public void SavedModelsLoadWithStockMLNetAndContrastiveModelLoadBatchesAgain()
    {
        var ml = new MLContext(1);
        IDataView data = ml.Data.LoadFromEnumerable(Rows(30));
        // The encoder inside a larger pipeline: the scorer sits in a nested chain of the saved model.
        ITransformer pipeline = ml.Transforms.SimClr(TinyFits.Options(maxSteps: 1))
            .Append(ml.Transforms.CopyColumns("EmbeddingCopy", "Embedding"))
            .Fit(TinyFits.Data(ml, 24));
        List<(int Id, float[] Embedding)> fitted = Read(pipeline.Transform(data));

        string path = Path.Combine(Path.GetTempPath(), $"contrastiveml-batched-{Guid.NewGuid():N}.zip");
        try
        {
            ml.Model.Save(pipeline, data.Schema, path);

            // Stock ML.NET: the stock OnnxTransformer, one row per run, same embeddings.
            ITransformer stock = ml.Model.Load(path, out _);
            Assert.Contains(Flatten(stock), t => t is OnnxTransformer);
            Assert.DoesNotContain(Flatten(stock), t => t is BatchedOnnxScorer);
            List<(int Id, float[] Embedding)> viaStock = Read(stock.Transform(data));

            // ContrastiveModel.Load: the batching stand-in again, the rest of the pipeline as loaded.
            ITransformer loaded = ContrastiveModel.Load(ml, path, out DataViewSchema schema);
            Assert.Single(Flatten(loaded).OfType<BatchedOnnxScorer>());
            Assert.Contains(Flatten(loaded), t => t.GetType().Name.StartsWith("ColumnCopying", StringComparison.Ordinal));
            IDataView scored = loaded.Transform(data);
            List<(int Id, float[] Embedding)> viaLoaded = Read(scored);
            Assert.NotNull(scored.Schema.GetColumnOrNull("EmbeddingCopy"));

            for (int i = 0; i < 30; i++)
            {
                Assert.Equal(i, viaStock[i].Id);
                Assert.Equal(i, viaLoaded[i].Id);
                AssertClose(viaStock[i].Embedding, fitted[i].Embedding);
                AssertClose(viaStock[i].Embedding, viaLoaded[i].Embedding);
            }

            // Saving the re-wrapped model writes the stock scorer again.
            ml.Model.Save(loaded, schema, path);
            ITransformer again = ml.Model.Load(path, out _);
            Assert.DoesNotContain(Flatten(again), t => t is BatchedOnnxScorer);
            List<(int Id, float[] Embedding)> viaAgain = Read(again.Transform(data));
            for (int i = 0; i < 30; i++) AssertClose(viaStock[i].Embedding, viaAgain[i].Embedding);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void ContrastiveModelLoadLeavesOtherOnnxModelsToTheStockScorer()
    {
        // An ONNX model without ContrastiveML's metadata (any user's model) stays a stock OnnxTransformer.
        var ml = new MLContext(1);
        using var encoder = new ContrastiveML.Encoders.CompactCnnEncoder(TinyFits.Shape, width: 4);
        byte[] foreign = OnnxExporter.Export(encoder, 1, 8, 8, EncoderTestKit.Normalization(1), new Dictionary<string, string>(),
                                             inputName: "Pixels", outputName: "Embedding");
        IDataView data = ml.Data.LoadFromEnumerable(Rows(5));
        ITransformer model = ml.Transforms.ApplyOnnxModel("Embedding", "Pixels", new MemoryStream(foreign)).Fit(data);
        using var stream = new MemoryStream();
        ml.Model.Save(model, data.Schema, stream);
        stream.Position = 0;

        ITransformer loaded = ContrastiveModel.Load(ml, stream, out _);

        Assert.IsType<OnnxTransformer>(Flatten(loaded).Single());
        Assert.Equal(5, Read(loaded.Transform(data)).Count);
        (model as IDisposable)?.Dispose();
        (loaded as IDisposable)?.Dispose();
    }

    /// <summary>Yields fewer rows on every enumeration: not a repeatable data view.</summary>
    private sealed class ShrinkingRows : IEnumerable<IdRow>
    {
        private readonly IdRow[] _rows;
        private int _passes;
        public ShrinkingRows(IdRow[] rows) => _rows = rows;
        public IEnumerator<IdRow> GetEnumerator() => _rows.Take(_rows.Length - 2 * Interlocked.Increment(ref _passes)).GetEnumerator();
        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
    }

    [Fact]
    public void AnInputThatChangesBetweenCursorsIsAClearError()
    {
        var ml = new MLContext(1);
        ContrastiveEncoderTransformer model = Fit(ml);
        IDataView scored = model.Transform(ml.Data.LoadFromEnumerable(new ShrinkingRows(Rows(12))));
        var error = Assert.Throws<InvalidOperationException>(() => Read(scored));
        Assert.Contains("same rows in the same order", error.Message);
        Assert.Contains("Cache", error.Message);
    }
}
