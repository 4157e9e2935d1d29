using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace ContrastiveML.Samples;

/// <summary>Reads embeddings and their labels out of a scored data view (for the PCA pictures).</summary>
internal static class EmbeddingReader
{
    /// <summary>Reads up to <paramref name="limit"/> rows of the embedding column and the label (text or number) as text.</summary>
    internal static (List<float[]> Embeddings, List<string> Labels) EmbeddingsAndLabels(MLContext ml, IDataView scored, int limit)
    {
        DataViewSchema.Column embedding = scored.Schema[ModelColumns.Embedding];
        DataViewSchema.Column? label = scored.Schema.GetColumnOrNull("Label");
        var embeddings = new List<float[]>();
        var labels = new List<string>();
        using DataViewRowCursor cursor = scored.GetRowCursor(label is DataViewSchema.Column lc ? new[] { embedding, lc } : new[] { embedding });
        ValueGetter<VBuffer<float>> getEmbedding = cursor.GetGetter<VBuffer<float>>(embedding);
        Func<string> getLabel = label switch
        {
            null => () => "",
            { Type: TextDataViewType } => TextGetter(cursor, label.Value),
            { Type: var t } when t.RawType == typeof(uint) => UIntGetter(cursor, label.Value),
            _ => () => "",
        };
        VBuffer<float> buffer = default;
        while (embeddings.Count < limit && cursor.MoveNext())
        {
            getEmbedding(ref buffer);
            embeddings.Add(buffer.DenseValues().ToArray());
            labels.Add(getLabel());
        }
        return (embeddings, labels);
    }

    private static Func<string> TextGetter(DataViewRowCursor cursor, DataViewSchema.Column column)
    {
        ValueGetter<ReadOnlyMemory<char>> getter = cursor.GetGetter<ReadOnlyMemory<char>>(column);
        return () =>
        {
            ReadOnlyMemory<char> value = default;
            getter(ref value);
            return value.ToString();
        };
    }

    private static Func<string> UIntGetter(DataViewRowCursor cursor, DataViewSchema.Column column)
    {
        ValueGetter<uint> getter = cursor.GetGetter<uint>(column);
        return () =>
        {
            uint value = 0;
            getter(ref value);
            return value.ToString(CultureInfo.InvariantCulture);
        };
    }
}
