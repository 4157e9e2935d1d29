using ContrastiveML.Data;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace ContrastiveML.Evaluation;

/// <summary>The first rows of a pixel column (and their class indices), read into memory for evaluation.</summary>
/// <param name="Pixels">Count x rowSize raw pixels, row after row.</param>
/// <param name="Labels">Count class indices; null when no label column was read.</param>
/// <param name="Count">Rows read.</param>
internal sealed record EvaluationRows(float[] Pixels, long[]? Labels, int Count)
{
    /// <summary>
    /// Reads up to <paramref name="maxRows"/> rows of <paramref name="pixelColumn"/> (a known-size float vector of
    /// <paramref name="rowSize"/> values) and of <paramref name="labels"/> when given (its index map is shared, so the
    /// bank and the held-out rows get the same index for the same class).
    /// </summary>
    /// <paramref name="stride"/> keeps every stride-th row (1: every row).
    public static EvaluationRows Read(IDataView data, string pixelColumn, int rowSize, LabelColumn? labels, int maxRows, int stride)
    {
        DataViewSchema.Column pixels = data.Schema[pixelColumn];
        var active = new List<DataViewSchema.Column> { pixels };
        if (labels != null) active.Add(data.Schema[labels.ColumnName]);
        using DataViewRowCursor cursor = data.GetRowCursor(active);
        ValueGetter<VBuffer<float>> getPixels = cursor.GetGetter<VBuffer<float>>(pixels);
        Func<long, long>? getLabel = labels?.CreateGetter(cursor);
        var values = new List<float>();
        var classes = new List<long>();
        VBuffer<float> buffer = default;
        int count = 0;
        long row = -1;
        while (count < maxRows && cursor.MoveNext())
        {
            if (++row % stride != 0) continue;
            getPixels(ref buffer);
            if (buffer.Length != rowSize)
            {
                throw new InvalidOperationException($"Evaluation: column '{pixelColumn}' row {count} has {buffer.Length} values; expected {rowSize} (the image shape's C*H*W).");
            }
            foreach (float v in buffer.DenseValues()) values.Add(v);
            if (getLabel != null) classes.Add(getLabel(count));
            count++;
        }
        return new EvaluationRows(values.ToArray(), labels == null ? null : classes.ToArray(), count);
    }
}
