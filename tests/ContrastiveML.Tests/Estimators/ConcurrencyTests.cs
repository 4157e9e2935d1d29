using Microsoft.ML;

namespace ContrastiveML.Tests;

/// <summary>
/// One trained transformer serves many threads at once: Transform over separate data views and a PredictionEngine
/// per thread (PredictionEngine itself is single-threaded, as in ML.NET) give exactly the single-threaded embeddings,
/// for the fitted transformer and for the chain Model.Load returns. Per-thread engines over a shared loaded model must
/// be created with <c>OwnsTransformer = false</c>: with ML.NET's default, the first engine disposed disposes the loaded
/// chain's OnnxTransformer while other threads score with it, which crashed the test process (SIGSEGV in ONNX Runtime)
/// or threw a NullReferenceException from InferenceSession.Run.
/// </summary>
public class ConcurrencyTests
{
    private const int Threads = 8;

    /// <summary>Where the shared model comes from.</summary>
    public enum Source
    {
        /// <summary>The fitted transformer (batched scoring).</summary>
        Fitted,
        /// <summary>Saved and loaded with stock ML.NET (the stock OnnxTransformer, a row per run).</summary>
        StockLoad,
        /// <summary>Saved and loaded with ContrastiveModel.Load (batched scoring again).</summary>
        ContrastiveModelLoad,
    }

    [Theory]
    [InlineData(Source.Fitted)]
    [InlineData(Source.StockLoad)]
    [InlineData(Source.ContrastiveModelLoad)]
    public void EightThreadsGetTheSingleThreadedEmbeddings(Source source)
    {
        var ml = new MLContext(1);
        // More rows than a scoring batch (256), so threads share the batched session across several runs each.
        EightByEightRow[] rows = TinyFits.Rows(300);
        ITransformer model = ml.Transforms.SimClr(TinyFits.Options(maxSteps: 1)).Fit(ml.Data.LoadFromEnumerable(rows.Take(24)));
        if (source != Source.Fitted)
        {
            // The loaded chain is what a service shares between requests.
            using var stream = new MemoryStream();
            ml.Model.Save(model, ml.Data.LoadFromEnumerable(rows).Schema, stream);
            stream.Position = 0;
            model = source == Source.StockLoad ? ml.Model.Load(stream, out _) : ContrastiveModel.Load(ml, stream, out _);
        }
        float[][] expected = TinyFits.Embeddings(ml, model.Transform(ml.Data.LoadFromEnumerable(rows)));

        var failures = new System.Collections.Concurrent.ConcurrentQueue<Exception>();
        using var start = new Barrier(Threads);
        var threads = Enumerable.Range(0, Threads).Select(t => new Thread(() =>
        {
            try
            {
                start.SignalAndWait(); // all threads score at the same moment
                // Each thread its own view, of the rows in its own rotation, so threads ask for different rows at once.
                int[] order = Enumerable.Range(0, rows.Length).Select(i => (i + 3 * t) % rows.Length).ToArray();
                float[][] viaTransform = TinyFits.Embeddings(ml, model.Transform(ml.Data.LoadFromEnumerable(order.Select(i => rows[i]).ToList())));
                // OwnsTransformer = false: ML.NET's default (true) makes disposing an engine dispose the model it scores
                // with, and with it the shared ONNX Runtime session the other threads are still using (a native crash).
                using var engine = ml.Model.CreatePredictionEngine<EightByEightRow, EmbeddingOutput>(
                    model, new PredictionEngineOptions { OwnsTransformer = false });
                for (int k = 0; k < order.Length; k++)
                {
                    Assert.Equal(expected[order[k]], viaTransform[k]);
                    Assert.Equal(expected[order[k]], engine.Predict(rows[order[k]]).Embedding);
                }
            }
            catch (Exception e)
            {
                failures.Enqueue(e);
            }
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());

        Assert.Empty(failures);
    }
}
