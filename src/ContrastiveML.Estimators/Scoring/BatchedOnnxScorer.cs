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
    private readonly int _inputValues;
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
        // Values per row of the input [N, ...]: the product of the dimensions after the batch one, 0 when one is unknown.
        int[] dimensions = session.InputMetadata[InputColumnName].Dimensions;
        _inputValues = dimensions.Length >= 2 && dimensions.Skip(1).All(d => d > 0) ? dimensions.Skip(1).Aggregate(1, (a, d) => a * d) : 0;
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
    public DataViewSchema GetOutputSchema(DataViewSchema inputSchema)
    {
        CheckInputSize(inputSchema);
        return _stock.GetOutputSchema(inputSchema);
    }

    /// <inheritdoc />
    public IRowToRowMapper GetRowToRowMapper(DataViewSchema inputSchema)
    {
        CheckInputSize(inputSchema);
        return _stock.GetRowToRowMapper(inputSchema);
    }

    /// <inheritdoc />
    public IDataView Transform(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        CheckInputSize(input.Schema);
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

    /// <summary>
    /// The stock transformer accepts a vector whose length is any multiple of the model's input (two images per row of a
    /// 128-value column for a 64-pixel encoder) and fails only when rows are read, with ONNX Runtime's message: refuse it
    /// here, naming the column. Other mismatches (missing column, wrong type) are left to the stock check.
    /// </summary>
    private void CheckInputSize(DataViewSchema inputSchema)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        if (_inputValues > 0 && inputSchema.GetColumnOrNull(InputColumnName)?.Type is VectorDataViewType { Size: > 0 } vector && vector.Size != _inputValues)
        {
            throw new ArgumentException(
                $"Input column '{InputColumnName}' holds vectors of {vector.Size} values; the encoder reads {_inputValues} values per row (its ONNX input is " +
                $"[N, {string.Join(", ", _session.InputMetadata[InputColumnName].Dimensions.Skip(1))}]).", nameof(inputSchema));
        }
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
