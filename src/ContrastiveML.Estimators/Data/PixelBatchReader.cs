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
    private readonly int _samplesPerClass;
    private int? _eligibleClasses;

    /// <param name="data">The data; <paramref name="columnName"/> must be a float vector of <paramref name="rowSize"/> values.</param>
    /// <param name="columnName">The pixel column.</param>
    /// <param name="rowSize">Values per row (C*H*W).</param>
    /// <param name="shuffleBufferSize">Rows held for shuffling; 0 or 1 reads in cursor order.</param>
    /// <param name="labels">A label column to read alongside the pixels (kept with its row through the shuffle); null for none.</param>
    /// <param name="samplesPerClass">With <paramref name="labels"/>, a positive value makes every batch hold this many rows of
    /// each of batchSize / samplesPerClass classes (see <see cref="ReadBalancedEpoch"/>); 0 draws batches through the shuffle buffer.</param>
    public PixelBatchReader(IDataView data, string columnName, int rowSize, int shuffleBufferSize, LabelColumn? labels = null, int samplesPerClass = 0)
    {
        _labels = labels;
        _samplesPerClass = labels == null ? 0 : samplesPerClass;
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
        if (_samplesPerClass > 0) return ReadBalancedEpoch(batchSize, random);
        return ReadShuffledEpoch(batchSize, random, minimumLastBatch);
    }

    /// <summary>
    /// One pass as class-balanced batches: rows wait in per-class buffers (each holding at most
    /// max(2 * samplesPerClass, shuffleBufferSize / classes seen so far) rows, so memory stays O(buffer) for a bounded number
    /// of classes); whenever k = batchSize / samplesPerClass classes have samplesPerClass rows waiting, k of them are picked at
    /// random and a batch of k * samplesPerClass rows is emitted. A row arriving at a full class buffer replaces a random
    /// waiting row of that class (a dominant class is subsampled). Rows left waiting at the end of the pass are dropped.
    /// </summary>
    private IEnumerable<PixelBatch> ReadBalancedEpoch(int batchSize, Random random)
    {
        int perClass = _samplesPerClass;
        _eligibleClasses ??= CountClassesWith(perClass);
        if (_eligibleClasses < 2)
        {
            throw new InvalidOperationException(
                $"Class-balanced batches need at least two classes with {perClass} or more rows in label column '{_labels!.ColumnName}'; " +
                $"found {_eligibleClasses}. Lower SamplesPerClass or turn ClassBalancedBatches off.");
        }
        // Never wait for more classes than the data has.
        int classesPerBatch = Math.Min(Math.Max(2, batchSize / perClass), _eligibleClasses.Value);
        DataViewSchema.Column column = _data.Schema[_columnName];
        DataViewSchema.Column[] active = { column, _data.Schema[_labels!.ColumnName] };
        using DataViewRowCursor cursor = _data.GetRowCursor(active, _data.CanShuffle ? new Random(random.Next()) : null);
        ValueGetter<VBuffer<float>> getter = cursor.GetGetter<VBuffer<float>>(column);
        Func<long, long> labelGetter = _labels.CreateGetter(cursor);
        var buffers = new Dictionary<long, List<float[]>>();
        var ready = new List<long>(); // classes with at least perClass rows waiting
        long row = 0;
        VBuffer<float> buffer = default;
        while (cursor.MoveNext())
        {
            getter(ref buffer);
            long label = labelGetter(row);
            float[] values = new float[_rowSize];
            PixelRow.Dense(ref buffer, _rowSize, _columnName, row++).CopyTo(values);
            if (!buffers.TryGetValue(label, out List<float[]>? waiting)) buffers[label] = waiting = new List<float[]>();
            int capacity = Math.Max(2 * perClass, _shuffleBufferSize / buffers.Count);
            if (waiting.Count >= capacity)
            {
                waiting[random.Next(waiting.Count)] = values;
            }
            else
            {
                waiting.Add(values);
                if (waiting.Count == perClass) ready.Add(label);
            }
            if (ready.Count < classesPerBatch) continue;

            var pixels = new float[classesPerBatch * perClass * _rowSize];
            var labels = new long[classesPerBatch * perClass];
            int inBatch = 0;
            var stillReady = new List<long>();
            for (int c = 0; c < classesPerBatch; c++)
            {
                int pick = random.Next(ready.Count);
                long cls = ready[pick];
                ready[pick] = ready[^1];
                ready.RemoveAt(ready.Count - 1);
                List<float[]> rows = buffers[cls];
                for (int j = 0; j < perClass; j++)
                {
                    int r = random.Next(rows.Count);
                    Array.Copy(rows[r], 0, pixels, inBatch * _rowSize, _rowSize);
                    labels[inBatch++] = cls;
                    rows[r] = rows[^1];
                    rows.RemoveAt(rows.Count - 1);
                }
                if (rows.Count >= perClass) stillReady.Add(cls); // after the loop, so no class is drawn twice in a batch
            }
            ready.AddRange(stillReady);
            yield return new PixelBatch(pixels, inBatch, labels);
        }
    }

    /// <summary>Classes with at least <paramref name="rows"/> rows, from one pass over the label column alone.</summary>
    private int CountClassesWith(int rows)
    {
        var counts = new Dictionary<long, int>();
        using DataViewRowCursor cursor = _data.GetRowCursor(new[] { _data.Schema[_labels!.ColumnName] });
        Func<long, long> labelGetter = _labels.CreateGetter(cursor);
        long row = 0;
        while (cursor.MoveNext())
        {
            long label = labelGetter(row++);
            counts[label] = counts.TryGetValue(label, out int c) ? c + 1 : 1;
        }
        return counts.Values.Count(c => c >= rows);
    }

    private IEnumerable<PixelBatch> ReadShuffledEpoch(int batchSize, Random random, int minimumLastBatch)
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
