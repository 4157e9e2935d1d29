using Microsoft.ML;
using Microsoft.ML.OnnxRuntime;

namespace ContrastiveML.Scoring;

/// <summary>
/// The output of <see cref="BatchedOnnxScorer.Transform"/>: the input's columns, unchanged and at the same indices,
/// plus the embedding column, computed a batch of rows at a time (see <see cref="BatchedScoringCursor"/>).
/// </summary>
internal sealed class BatchedScoringDataView : IDataView
{
    private readonly IDataView _input;
    private readonly int _pixelColumn;
    private readonly int _inputSize;
    private readonly InferenceSession _session;
    private readonly int _batchRows;

    public BatchedScoringDataView(IDataView input, DataViewSchema schema, int pixelColumn, int inputSize, InferenceSession session, int batchRows)
    {
        _input = input;
        Schema = schema;
        _pixelColumn = pixelColumn;
        _inputSize = inputSize;
        _session = session;
        _batchRows = batchRows;
    }

    /// <summary>Index of the embedding column: the one column appended to the input's.</summary>
    private int EmbeddingColumn => Schema.Count - 1;

    public bool CanShuffle => _input.CanShuffle;

    public DataViewSchema Schema { get; }

    public long? GetRowCount() => _input.GetRowCount();

    public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null)
    {
        ArgumentNullException.ThrowIfNull(columnsNeeded);
        var needed = new HashSet<int>();
        foreach (DataViewSchema.Column column in columnsNeeded)
        {
            if (column.Index < 0 || column.Index >= Schema.Count || Schema[column.Index].Name != column.Name)
            {
                throw new ArgumentException($"Column '{column.Name}' (index {column.Index}) is not a column of this data view's schema.", nameof(columnsNeeded));
            }
            needed.Add(column.Index);
        }
        bool scoring = needed.Remove(EmbeddingColumn);
        // Two cursors over the input walk the same rows in the same order: the leading one reads the pixels a batch
        // ahead, the trailing one serves the other columns at the current row. A shuffled cursor gets two generators
        // seeded alike, which ML.NET data views turn into the same order; the cursor checks the row ids to be sure.
        int? seed = rand != null && _input.CanShuffle ? rand.Next() : null;
        Random? Generator() => seed is int s ? new Random(s) : null;
        DataViewRowCursor? trailing = needed.Count > 0 || !scoring ? _input.GetRowCursor(needed.Select(i => _input.Schema[i]), Generator()) : null;
        DataViewRowCursor? leading = null;
        try
        {
            leading = scoring ? _input.GetRowCursor(new[] { _input.Schema[_pixelColumn] }, Generator()) : null;
            return new BatchedScoringCursor(Schema, _input.Schema, leading, trailing, _input.Schema[_pixelColumn], _inputSize, _session, _batchRows);
        }
        catch
        {
            leading?.Dispose();
            trailing?.Dispose();
            throw;
        }
    }

    /// <summary>
    /// One cursor: it already scores a batch per session run, which uses ONNX Runtime's threads within each operator;
    /// parallel cursors would split the rows into smaller batches and compete for the same cores. ML.NET allows a
    /// data view to return fewer cursors than asked for.
    /// </summary>
    public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null)
        => new[] { GetRowCursor(columnsNeeded, rand) };
}
