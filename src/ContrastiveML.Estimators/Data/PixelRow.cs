using Microsoft.ML.Data;

namespace ContrastiveML.Data;

/// <summary>Reads one row of a pixel vector column as a dense span of the expected length.</summary>
internal static class PixelRow
{
    /// <summary>
    /// The dense values of <paramref name="buffer"/>, densifying a sparse row in place. A row whose length differs
    /// from <paramref name="expectedLength"/> (possible only in a data view whose schema lied) is an error naming the row.
    /// </summary>
    public static ReadOnlySpan<float> Dense(ref VBuffer<float> buffer, int expectedLength, string columnName, long row)
    {
        if (buffer.Length != expectedLength)
        {
            throw new InvalidOperationException(
                $"Input column '{columnName}' row {row} has {buffer.Length} values; expected {expectedLength}.");
        }
        if (!buffer.IsDense)
        {
            float[] dense = buffer.DenseValues().ToArray();
            buffer = new VBuffer<float>(dense.Length, dense);
        }
        return buffer.GetValues();
    }
}
