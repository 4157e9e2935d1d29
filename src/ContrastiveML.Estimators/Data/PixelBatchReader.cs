using Microsoft.ML;
using Microsoft.ML.Data;

namespace ContrastiveML.Data;

/// <summary>A batch of images as one flat CHW float array (row-major, <see cref="Count"/> rows of <c>C*H*W</c>).</summary>
internal sealed class PixelBatch
{
    public PixelBatch(float[] pixels, int count)
    {
        Pixels = pixels;
        Count = count;
    }

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

    /// <param name="data">The data; <paramref name="columnName"/> must be a float vector of <paramref name="rowSize"/> values.</param>
    /// <param name="columnName">The pixel column.</param>
    /// <param name="rowSize">Values per row (C*H*W).</param>
    /// <param name="shuffleBufferSize">Rows held for shuffling; 0 or 1 reads in cursor order.</param>
    public PixelBatchReader(IDataView data, string columnName, int rowSize, int shuffleBufferSize)
    {
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
        using DataViewRowCursor cursor = _data.GetRowCursor(new[] { column }, _data.CanShuffle ? new Random(random.Next()) : null);
        ValueGetter<VBuffer<float>> getter = cursor.GetGetter<VBuffer<float>>(column);
        var shuffleBuffer = new List<float[]>(Math.Min(_shuffleBufferSize, 1 << 16));
        var batch = new float[batchSize * _rowSize];
        int inBatch = 0;
        long row = 0;
        VBuffer<float> buffer = default;
        float[]? spare = null; // the row array last emitted, reused so a pass allocates O(buffer) arrays, not O(rows)

        while (cursor.MoveNext())
        {
            getter(ref buffer);
            float[] values = spare ?? new float[_rowSize];
            spare = null;
            PixelRow.Dense(ref buffer, _rowSize, _columnName, row++).CopyTo(values);
            if (shuffleBuffer.Count < _shuffleBufferSize)
            {
                shuffleBuffer.Add(values);
                continue;
            }
            // Emit a random buffered row and keep the new one in its place.
            int pick = random.Next(shuffleBuffer.Count);
            float[] next = shuffleBuffer[pick];
            shuffleBuffer[pick] = values;
            Array.Copy(next, 0, batch, inBatch * _rowSize, _rowSize);
            spare = next;
            if (++inBatch == batchSize)
            {
                yield return new PixelBatch(batch, inBatch);
                batch = new float[batchSize * _rowSize];
                inBatch = 0;
            }
        }

        // Drain the buffer in random order.
        for (int i = shuffleBuffer.Count - 1; i >= 0; i--)
        {
            int pick = random.Next(i + 1);
            (shuffleBuffer[pick], shuffleBuffer[i]) = (shuffleBuffer[i], shuffleBuffer[pick]);
            Array.Copy(shuffleBuffer[i], 0, batch, inBatch * _rowSize, _rowSize);
            if (++inBatch == batchSize)
            {
                yield return new PixelBatch(batch, inBatch);
                batch = new float[batchSize * _rowSize];
                inBatch = 0;
            }
        }
        if (inBatch >= minimumLastBatch)
        {
            yield return new PixelBatch(batch, inBatch);
        }
    }
}
