using Microsoft.ML;
using Microsoft.ML.Data;

namespace ContrastiveML.Data;

/// <summary>A batch of images as one flat CHW float array (row-major, <see cref="Count"/> rows of <c>C*H*W</c>).</summary>
internal sealed class PixelBatch
{
    public PixelBatch(float[] pixels, int count, long[]? labels = null)
    {
        Pixels = pixels;
        Count = count;
        Labels = labels;
    }

    /// <summary>Dense class indices of the <see cref="Count"/> images (the first Count entries), or null when no label column is read.</summary>
    public long[]? Labels { get; }

    /// <summary>Raw pixel values, <see cref="Count"/> * C*H*W of them.</summary>
    public float[] Pixels { get; }

    /// <summary>Images in the batch.</summary>
    public int Count { get; }
}

/// <summary>
/// Streams a pixel column through a row cursor into batches, shuffling through a bounded buffer: memory stays
/// O(buffer + batch) whatever the size of the data, so a data view far larger than memory can be trained on.
/// Each epoch opens a new cursor (shuffled by ML.NET where the data view supports it) and draws a new order.
/// </summary>
internal sealed class PixelBatchReader
{
    private readonly IDataView _data;
    private readonly string _columnName;
    private readonly int _rowSize;
    private readonly int _shuffleBufferSize;
    private readonly LabelColumn? _labels;

    /// <param name="data">The data; <paramref name="columnName"/> must be a float vector of <paramref name="rowSize"/> values.</param>
    /// <param name="columnName">The pixel column.</param>
    /// <param name="rowSize">Values per row (C*H*W).</param>
    /// <param name="shuffleBufferSize">Rows held for shuffling; 0 or 1 reads in cursor order.</param>
    /// <param name="labels">A label column to read alongside the pixels (kept with its row through the shuffle); null for none.</param>
    public PixelBatchReader(IDataView data, string columnName, int rowSize, int shuffleBufferSize, LabelColumn? labels = null)
    {
        _labels = labels;
        _data = data;
        _columnName = columnName;
        _rowSize = rowSize;
        _shuffleBufferSize = Math.Max(1, shuffleBufferSize);
    }

    /// <summary>
    /// One pass over the data as batches of <paramref name="batchSize"/> images; the last batch is shorter when the
    /// row count is not a multiple of the batch size, and is dropped when it has fewer than <paramref name="minimumLastBatch"/> rows.
    /// </summary>
    public IEnumerable<PixelBatch> ReadEpoch(int batchSize, Random random, int minimumLastBatch = 2)
    {
        DataViewSchema.Column column = _data.Schema[_columnName];
        // ML.NET shuffles cursors of data views that support it (in-memory, cached); the buffer below shuffles the rest.
        DataViewSchema.Column[] active = _labels == null ? new[] { column } : new[] { column, _data.Schema[_labels.ColumnName] };
        using DataViewRowCursor cursor = _data.GetRowCursor(active, _data.CanShuffle ? new Random(random.Next()) : null);
        ValueGetter<VBuffer<float>> getter = cursor.GetGetter<VBuffer<float>>(column);
        Func<long, long>? labelGetter = _labels?.CreateGetter(cursor);
        var shuffleBuffer = new List<float[]>(Math.Min(_shuffleBufferSize, 1 << 16));
        var labelBuffer = new List<long>(labelGetter == null ? 0 : Math.Min(_shuffleBufferSize, 1 << 16));
        var batch = new float[batchSize * _rowSize];
        long[]? batchLabels = labelGetter == null ? null : new long[batchSize];
        int inBatch = 0;
        long row = 0;
        VBuffer<float> buffer = default;
        float[]? spare = null; // the row array last emitted, reused so a pass allocates O(buffer) arrays, not O(rows)

        while (cursor.MoveNext())
        {
            getter(ref buffer);
            float[] values = spare ?? new float[_rowSize];
            spare = null;
            long label = labelGetter?.Invoke(row) ?? 0;
            PixelRow.Dense(ref buffer, _rowSize, _columnName, row++).CopyTo(values);
            if (shuffleBuffer.Count < _shuffleBufferSize)
            {
                shuffleBuffer.Add(values);
                if (batchLabels != null) labelBuffer.Add(label);
                continue;
            }
            // Emit a random buffered row and keep the new one in its place.
            int pick = random.Next(shuffleBuffer.Count);
            float[] next = shuffleBuffer[pick];
            shuffleBuffer[pick] = values;
            Array.Copy(next, 0, batch, inBatch * _rowSize, _rowSize);
            if (batchLabels != null)
            {
                batchLabels[inBatch] = labelBuffer[pick];
                labelBuffer[pick] = label;
            }
            spare = next;
            if (++inBatch == batchSize)
            {
                yield return new PixelBatch(batch, inBatch, batchLabels);
                batch = new float[batchSize * _rowSize];
                batchLabels = batchLabels == null ? null : new long[batchSize];
                inBatch = 0;
            }
        }

        // Drain the buffer in random order.
        for (int i = shuffleBuffer.Count - 1; i >= 0; i--)
        {
            int pick = random.Next(i + 1);
            (shuffleBuffer[pick], shuffleBuffer[i]) = (shuffleBuffer[i], shuffleBuffer[pick]);
            Array.Copy(shuffleBuffer[i], 0, batch, inBatch * _rowSize, _rowSize);
            if (batchLabels != null)
            {
                (labelBuffer[pick], labelBuffer[i]) = (labelBuffer[i], labelBuffer[pick]);
                batchLabels[inBatch] = labelBuffer[i];
            }
            if (++inBatch == batchSize)
            {
                yield return new PixelBatch(batch, inBatch, batchLabels);
                batch = new float[batchSize * _rowSize];
                batchLabels = batchLabels == null ? null : new long[batchSize];
                inBatch = 0;
            }
        }
        if (inBatch >= minimumLastBatch)
        {
            yield return new PixelBatch(batch, inBatch, batchLabels);
        }
    }
}
