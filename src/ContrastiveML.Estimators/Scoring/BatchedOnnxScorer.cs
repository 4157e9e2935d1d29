using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.OnnxRuntime;

namespace ContrastiveML.Scoring;

/// <summary>
/// Stands in for a stock <c>OnnxTransformer</c> scoring a ContrastiveML encoder, and scores batches of rows instead of
/// one row per <c>InferenceSession.Run</c> (what the stock transformer does; for a small CNN most of the time of a
/// one-row run is per-call overhead). Everything that outlives the process still goes through the stock transformer:
/// <see cref="ICanSaveModel.Save"/> writes it, so a saved model loads with stock ML.NET (scoring row by row there), and
/// <see cref="GetRowToRowMapper"/> hands out its mapper, so a PredictionEngine (one row at a time anyway) is unchanged.
/// </summary>
/// <remarks>
/// Its own session (<see cref="Onnx.OnnxScoringSession"/>) runs from any number of cursors and threads at once. The
/// output schema is the stock transformer's, column for column, so the two are interchangeable in a chain.
/// </remarks>
internal sealed class BatchedOnnxScorer : ITransformer, IDisposable
{
    /// <summary>Most rows scored per session run: past a few hundred 28x28 rows a larger batch gains nothing on a CPU.</summary>
    public const int DefaultBatchRows = 256;

    /// <summary>Cap on the input values of one batch (64 MiB of float32), so large images get fewer rows per batch.</summary>
    private const long MaxBatchValues = 1L << 24;

    private readonly ITransformer _stock;
    private readonly InferenceSession _session;
    private readonly int _batchRows;
    private int _disposed;

    /// <summary>
    /// Wraps <paramref name="stock"/>, the stock transformer over the same model, and takes ownership of both it and
    /// <paramref name="session"/>. The session must have one input and one output, named like the columns (as the
    /// stock transformer requires).
    /// </summary>
    public BatchedOnnxScorer(ITransformer stock, InferenceSession session, int batchRows = DefaultBatchRows)
    {
        ArgumentNullException.ThrowIfNull(stock);
        ArgumentNullException.ThrowIfNull(session);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchRows, 1);
        if (session.InputMetadata.Count != 1 || session.OutputMetadata.Count != 1)
        {
            throw new ArgumentException($"Batched scoring needs a model with one input and one output; this one has {session.InputMetadata.Count} and {session.OutputMetadata.Count}.", nameof(session));
        }
        _stock = stock;
        _session = session;
        _batchRows = batchRows;
        InputColumnName = session.InputMetadata.Keys.Single();
        OutputColumnName = session.OutputMetadata.Keys.Single();
    }

    /// <summary>The pixel column the model reads (its graph input's name).</summary>
    public string InputColumnName { get; }

    /// <summary>The embedding column the model writes (its graph output's name).</summary>
    public string OutputColumnName { get; }

    /// <summary>The stock transformer this one stands in for (what a saved model holds).</summary>
    public ITransformer Stock => _stock;

    /// <inheritdoc />
    public bool IsRowToRowMapper => _stock.IsRowToRowMapper;

    /// <inheritdoc />
    public DataViewSchema GetOutputSchema(DataViewSchema inputSchema) => _stock.GetOutputSchema(inputSchema);

    /// <inheritdoc />
    public IRowToRowMapper GetRowToRowMapper(DataViewSchema inputSchema) => _stock.GetRowToRowMapper(inputSchema);

    /// <inheritdoc />
    public IDataView Transform(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        // The stock transformer's schema check (missing column, wrong type or size) and its exact output schema.
        DataViewSchema schema = _stock.GetOutputSchema(input.Schema);
        int inputSize = input.Schema[InputColumnName].Type is VectorDataViewType { Size: > 0 } vector ? vector.Size : 0;
        bool appendsOneColumn = schema.Count == input.Schema.Count + 1 && schema[^1].Name == OutputColumnName &&
                                schema[^1].Type is VectorDataViewType { Size: > 0 } output && output.ItemType == NumberDataViewType.Single;
        // Anything but a known-size float vector in and the embedding appended: leave it to the stock transformer.
        if (inputSize == 0 || !appendsOneColumn) return _stock.Transform(input);
        int rows = (int)Math.Clamp(MaxBatchValues / inputSize, 1, _batchRows);
        return new BatchedScoringDataView(input, schema, input.Schema[InputColumnName].Index, inputSize, _session, rows);
    }

    /// <summary>Writes the stock transformer, so the saved model needs nothing but stock ML.NET to load.</summary>
    void ICanSaveModel.Save(ModelSaveContext ctx) => _stock.Save(ctx);

    /// <summary>Releases the batched session and the stock transformer's.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        _session.Dispose();
        (_stock as IDisposable)?.Dispose();
    }
}
