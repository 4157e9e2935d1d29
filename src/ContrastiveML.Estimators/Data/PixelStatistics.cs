using Microsoft.ML;
using Microsoft.ML.Data;

namespace ContrastiveML.Data;

/// <summary>
/// One streaming pass over the pixel column before training: counts the rows, rejects non-finite pixels (so a bad
/// row fails Fit before any training step, naming the row) and measures per-channel mean and standard deviation of
/// the scaled pixels, which the encoder's input normalisation (baked into the ONNX graph) uses.
/// </summary>
internal sealed class PixelStatistics
{
    private PixelStatistics(long rowCount, float[] mean, float[] std)
    {
        RowCount = rowCount;
        Mean = mean;
        Std = std;
    }

    /// <summary>Rows in the data.</summary>
    public long RowCount { get; }

    /// <summary>Per-channel mean of pixel*scale.</summary>
    public float[] Mean { get; }

    /// <summary>Per-channel standard deviation of pixel*scale (at least 1e-3 so a constant channel does not divide by zero).</summary>
    public float[] Std { get; }

    /// <summary>
    /// Scans <paramref name="columnName"/> of <paramref name="data"/>. Non-finite values are an error (the row index and
    /// the offending value are named): a NaN would silently poison every batch it lands in.
    /// </summary>
    public static PixelStatistics Scan(IDataView data, string columnName, ImageShape shape, float scale, Action? checkCanceled = null)
    {
        DataViewSchema.Column column = data.Schema[columnName];
        int planeSize = shape.Height * shape.Width;
        var sum = new double[shape.Channels];
        var sumSquares = new double[shape.Channels];
        long rows = 0;
        VBuffer<float> buffer = default;
        using (DataViewRowCursor cursor = data.GetRowCursor(new[] { column }))
        {
            ValueGetter<VBuffer<float>> getter = cursor.GetGetter<VBuffer<float>>(column);
            while (cursor.MoveNext())
            {
                if ((rows & 1023) == 0) checkCanceled?.Invoke();
                getter(ref buffer);
                ReadOnlySpan<float> values = PixelRow.Dense(ref buffer, shape.Size, columnName, rows);
                for (int c = 0; c < shape.Channels; c++)
                {
                    double s = 0, ss = 0;
                    ReadOnlySpan<float> plane = values.Slice(c * planeSize, planeSize);
                    for (int i = 0; i < plane.Length; i++)
                    {
                        float v = plane[i];
                        if (!float.IsFinite(v))
                        {
                            throw new InvalidOperationException(
                                $"Input column '{columnName}' row {rows} holds a non-finite pixel value ({v}) at index {c * planeSize + i}. " +
                                "Pixels must be finite numbers; filter or repair such rows before training (e.g. mlContext.Data.FilterRowsByMissingValues).");
                        }
                        double x = v * (double)scale;
                        s += x;
                        ss += x * x;
                    }
                    sum[c] += s;
                    sumSquares[c] += ss;
                }
                rows++;
            }
        }
        if (rows == 0)
        {
            throw new InvalidOperationException($"Input column '{columnName}' has no rows: contrastive pretraining needs at least 2 images.");
        }
        if (rows < 2)
        {
            throw new InvalidOperationException(
                $"Input column '{columnName}' has 1 row: contrastive pretraining needs at least 2 images, since every image's negatives are the other images of its batch.");
        }
        var mean = new float[shape.Channels];
        var std = new float[shape.Channels];
        double count = (double)rows * planeSize;
        for (int c = 0; c < shape.Channels; c++)
        {
            double m = sum[c] / count;
            double variance = Math.Max(0, sumSquares[c] / count - m * m);
            mean[c] = (float)m;
            std[c] = (float)Math.Max(Math.Sqrt(variance), 1e-3);
        }
        return new PixelStatistics(rows, mean, std);
    }
}
