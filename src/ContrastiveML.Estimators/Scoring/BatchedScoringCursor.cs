using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.OnnxRuntime;

namespace ContrastiveML.Scoring;

/// <summary>
/// A cursor of <see cref="BatchedScoringDataView"/>. When the embedding column is active, a leading input cursor reads
/// the pixels of up to a batch of rows ahead, one session run scores them all, and the embeddings are served row by
/// row; every other active column comes from a trailing input cursor standing on the current row. Without the
/// embedding it is the trailing cursor alone; without other columns, the leading one alone.
/// </summary>
internal sealed class BatchedScoringCursor : DataViewRowCursor
{
    private readonly DataViewSchema _schema;
    private readonly DataViewSchema _inputSchema;
    private readonly DataViewRowCursor? _leading;
    private readonly DataViewRowCursor? _trailing;
    private readonly InferenceSession _session;
    private readonly int _inputSize;
    private readonly int _embeddingSize;
    private readonly int _batchRows;

    private readonly ValueGetter<VBuffer<float>>? _pixels;
    private readonly ValueGetter<DataViewRowId>? _leadingId;
    private readonly ValueGetter<DataViewRowId>? _trailingId;
    private readonly float[] _inputs;
    private readonly float[] _outputs;
    private readonly DataViewRowId[] _ids;
    private VBuffer<float> _row;
    private int _count;     // rows in the current batch
    private int _current = -1; // index of the current row in the batch
    private long _position = -1;
    private bool _done;

    public BatchedScoringCursor(DataViewSchema schema, DataViewSchema inputSchema, DataViewRowCursor? leading, DataViewRowCursor? trailing,
                                DataViewSchema.Column pixelColumn, int inputSize, InferenceSession session, int batchRows)
    {
        _schema = schema;
        _inputSchema = inputSchema;
        _leading = leading;
        _trailing = trailing;
        _session = session;
        _inputSize = inputSize;
        _embeddingSize = ((VectorDataViewType)schema[^1].Type).Size;
        _batchRows = batchRows;
        _trailingId = trailing?.GetIdGetter();
        if (leading != null)
        {
            _pixels = leading.GetGetter<VBuffer<float>>(pixelColumn);
            _leadingId = leading.GetIdGetter();
            _inputs = new float[batchRows * inputSize];
            _outputs = new float[batchRows * _embeddingSize];
            _ids = new DataViewRowId[batchRows];
        }
        else
        {
            _inputs = _outputs = Array.Empty<float>();
            _ids = Array.Empty<DataViewRowId>();
        }
    }

    private int EmbeddingColumn => _schema.Count - 1;

    public override DataViewSchema Schema => _schema;

    public override long Position => _position;

    public override long Batch => _trailing?.Batch ?? 0;

    public override bool MoveNext()
    {
        if (_done) return false;
        if (_leading != null && ++_current >= _count && !ReadBatch())
        {
            // The leading cursor is out of rows: the trailing one must be too, or the two saw different data.
            if (_trailing != null && _trailing.MoveNext()) throw OutOfStep($"the pixel cursor ended after {_position + 1} rows but the other columns have more");
            return Stop();
        }
        if (_trailing != null)
        {
            if (!_trailing.MoveNext())
            {
                if (_leading != null) throw OutOfStep($"the other columns ended after {_position + 1} rows but the pixel cursor has more");
                return Stop();
            }
            if (_leading != null)
            {
                DataViewRowId id = default;
                _trailingId!(ref id);
                if (!id.Equals(_ids[_current])) throw OutOfStep($"row {_position + 1} has id {id} in one cursor and {_ids[_current]} in the other");
            }
        }
        _position++;
        return true;
    }

    private bool Stop()
    {
        _done = true;
        return false;
    }

    /// <summary>Reads up to a batch of rows from the leading cursor and scores them in one session run.</summary>
    private bool ReadBatch()
    {
        _count = 0;
        _current = 0;
        while (_count < _batchRows && _leading!.MoveNext())
        {
            _pixels!(ref _row);
            if (_row.Length != _inputSize)
            {
                throw new InvalidOperationException($"Row {_position + 1 + _count} has {_row.Length} pixel values; the encoder takes {_inputSize}.");
            }
            _row.CopyTo(_inputs.AsSpan(_count * _inputSize, _inputSize));
            _leadingId!(ref _ids[_count]);
            _count++;
        }
        if (_count == 0) return false;
        Score(_count);
        return true;
    }

    private void Score(int rows)
    {
        string inputName = _session.InputMetadata.Keys.First();
        using var input = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, _inputs.AsMemory(0, rows * _inputSize), new long[] { rows, _inputSize });
        using var runOptions = new RunOptions();
        using IDisposableReadOnlyCollection<OrtValue> results = _session.Run(runOptions, new[] { inputName }, new[] { input }, _session.OutputNames);
        ReadOnlySpan<float> values = results[0].GetTensorDataAsSpan<float>();
        if (values.Length != rows * _embeddingSize)
        {
            throw new InvalidOperationException($"The encoder returned {values.Length} values for {rows} rows; expected {rows} x {_embeddingSize}.");
        }
        values.CopyTo(_outputs);
    }

    private Exception OutOfStep(string detail) => new InvalidOperationException(
        "Batched ONNX scoring reads the input with two cursors that must see the same rows in the same order, but " + detail +
        ". The input data view does not give repeatable cursors (for example an enumerable that yields different rows each time); " +
        "cache it first (mlContext.Data.Cache or AppendCacheCheckpoint).");

    public override bool IsColumnActive(DataViewSchema.Column column)
    {
        if (column.Index == EmbeddingColumn) return _leading != null;
        return _trailing != null && column.Index < _inputSchema.Count && _trailing.IsColumnActive(_inputSchema[column.Index]);
    }

    public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
    {
        if (column.Index != EmbeddingColumn)
        {
            if (_trailing == null || column.Index >= _inputSchema.Count || !_trailing.IsColumnActive(_inputSchema[column.Index]))
            {
                throw new InvalidOperationException($"Column '{column.Name}' was not requested when this cursor was created.");
            }
            return _trailing.GetGetter<TValue>(_inputSchema[column.Index]);
        }
        if (_leading == null) throw new InvalidOperationException($"Column '{column.Name}' was not requested when this cursor was created.");
        if (typeof(TValue) != typeof(VBuffer<float>))
        {
            throw new InvalidOperationException($"Column '{column.Name}' holds {column.Type}; it is read as VBuffer<float>, not {typeof(TValue).Name}.");
        }
        ValueGetter<VBuffer<float>> getter = (ref VBuffer<float> value) =>
        {
            if (_position < 0 || _done) throw new InvalidOperationException($"Column '{column.Name}' has no value: the cursor is not on a row.");
            VBufferEditor<float> editor = VBufferEditor.Create(ref value, _embeddingSize);
            _outputs.AsSpan(_current * _embeddingSize, _embeddingSize).CopyTo(editor.Values);
            value = editor.Commit();
        };
        return (ValueGetter<TValue>)(Delegate)getter;
    }

    public override ValueGetter<DataViewRowId> GetIdGetter()
    {
        if (_trailing != null) return _trailing.GetIdGetter();
        return (ref DataViewRowId id) =>
        {
            if (_position < 0 || _done) throw new InvalidOperationException("The cursor is not on a row.");
            id = _ids[_current];
        };
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _leading?.Dispose();
            _trailing?.Dispose();
        }
        base.Dispose(disposing);
    }
}
