using Microsoft.ML;
using Microsoft.ML.Data;

namespace ContrastiveML.Data;

/// <summary>
/// A class-label column of a supervised contrastive method, read as dense int64 class indices. Accepts ML.NET key
/// types (index = key - 1) and scalar uint/int/long/float/double/bool/string columns (indices are handed out in the
/// order values are first seen, in a map that lives as long as this object, so indices agree across epochs).
/// Missing values (key 0, NaN, empty text) are an error naming the column and the row.
/// </summary>
internal sealed class LabelColumn
{
    private const string Expected = "a scalar key, UInt32, Int32, Int64, Single, Double, Boolean or Text column";
    private readonly Dictionary<string, long> _textMap = new(StringComparer.Ordinal);
    private readonly Dictionary<double, long> _numberMap = new();
    private readonly Dictionary<long, long> _integerMap = new();

    private LabelColumn(string columnName) => ColumnName = columnName;

    /// <summary>The label column's name.</summary>
    public string ColumnName { get; }

    /// <summary>Checks the label column of a schema shape (GetOutputSchema); throws an <see cref="ArgumentException"/> naming it.</summary>
    public static void Check(SchemaShape schema, string columnName, string parameterName)
    {
        SchemaShape.Column[] matches = schema.Where(c => c.Name == columnName).ToArray();
        if (matches.Length == 0) throw NotFound(columnName, schema.Select(c => c.Name), parameterName);
        SchemaShape.Column column = matches[^1];
        if (column.Kind != SchemaShape.Column.VectorKind.Scalar)
        {
            throw new ArgumentException($"Label column '{columnName}' must be {Expected}; found a vector of {column.ItemType}.", parameterName);
        }
        if (!column.IsKey && !IsSupported(column.ItemType))
        {
            throw new ArgumentException($"Label column '{columnName}' must be {Expected}; found {column.ItemType}.", parameterName);
        }
    }

    /// <summary>Resolves the label column of a data view's schema; throws an <see cref="ArgumentException"/> naming it.</summary>
    public static LabelColumn Resolve(DataViewSchema schema, string columnName, string parameterName)
    {
        DataViewSchema.Column? column = schema.GetColumnOrNull(columnName);
        if (column == null) throw NotFound(columnName, schema.Where(c => !c.IsHidden).Select(c => c.Name), parameterName);
        DataViewType type = column.Value.Type;
        if (type is VectorDataViewType vector)
        {
            throw new ArgumentException($"Label column '{columnName}' must be {Expected}; found a vector of {vector.ItemType}.", parameterName);
        }
        if (type is KeyDataViewType key && key.RawType != typeof(uint) && key.RawType != typeof(ulong) &&
            key.RawType != typeof(ushort) && key.RawType != typeof(byte))
        {
            throw new ArgumentException($"Label column '{columnName}' must be {Expected}; found {type}.", parameterName);
        }
        if (type is not KeyDataViewType && !IsSupported(type))
        {
            throw new ArgumentException($"Label column '{columnName}' must be {Expected}; found {type}.", parameterName);
        }
        return new LabelColumn(columnName);
    }

    private static bool IsSupported(DataViewType type) =>
        type == NumberDataViewType.UInt32 || type == NumberDataViewType.Int32 || type == NumberDataViewType.Int64 ||
        type == NumberDataViewType.Single || type == NumberDataViewType.Double || type == BooleanDataViewType.Instance ||
        type == TextDataViewType.Instance;

    private static ArgumentException NotFound(string columnName, IEnumerable<string> available, string parameterName)
    {
        string names = string.Join(", ", available.Select(n => $"'{n}'"));
        return new ArgumentException(
            $"Label column '{columnName}' was not found. Expected {Expected}. Available columns: {(names.Length == 0 ? "none" : names)}.",
            parameterName);
    }

    /// <summary>
    /// A reader of the current row's class index for <paramref name="cursor"/> (which must have the column active);
    /// the argument is the row number, for error messages.
    /// </summary>
    public Func<long, long> CreateGetter(DataViewRowCursor cursor)
    {
        DataViewSchema.Column column = cursor.Schema[ColumnName];
        DataViewType type = column.Type;
        if (type is KeyDataViewType key)
        {
            if (key.RawType == typeof(uint)) return KeyGetter<uint>(cursor, column, v => v);
            if (key.RawType == typeof(ulong)) return KeyGetter<ulong>(cursor, column, v => v);
            if (key.RawType == typeof(ushort)) return KeyGetter<ushort>(cursor, column, v => v);
            return KeyGetter<byte>(cursor, column, v => v);
        }
        if (type == NumberDataViewType.UInt32) return IntegerGetter<uint>(cursor, column, v => v);
        if (type == NumberDataViewType.Int32) return IntegerGetter<int>(cursor, column, v => v);
        if (type == NumberDataViewType.Int64) return IntegerGetter<long>(cursor, column, v => v);
        if (type == NumberDataViewType.Single) return NumberGetter<float>(cursor, column, v => v);
        if (type == NumberDataViewType.Double) return NumberGetter<double>(cursor, column, v => v);
        if (type == BooleanDataViewType.Instance) return IntegerGetter<bool>(cursor, column, v => v ? 1 : 0);
        ValueGetter<ReadOnlyMemory<char>> text = cursor.GetGetter<ReadOnlyMemory<char>>(column);
        ReadOnlyMemory<char> textValue = default;
        return row =>
        {
            text(ref textValue);
            if (textValue.IsEmpty) throw Missing(row, "an empty text value");
            string s = textValue.ToString();
            if (!_textMap.TryGetValue(s, out long index)) _textMap[s] = index = _textMap.Count;
            return index;
        };
    }

    private Func<long, long> KeyGetter<T>(DataViewRowCursor cursor, DataViewSchema.Column column, Func<T, ulong> toUInt64)
    {
        ValueGetter<T> getter = cursor.GetGetter<T>(column);
        T value = default!;
        return row =>
        {
            getter(ref value);
            ulong k = toUInt64(value);
            if (k == 0) throw Missing(row, "a missing key (0)");
            return (long)(k - 1);
        };
    }

    /// <summary>Integer labels keep their own map: through a double, Int64 values beyond 2^53 could collide.</summary>
    private Func<long, long> IntegerGetter<T>(DataViewRowCursor cursor, DataViewSchema.Column column, Func<T, long> toInt64)
    {
        ValueGetter<T> getter = cursor.GetGetter<T>(column);
        T value = default!;
        return row =>
        {
            getter(ref value);
            long v = toInt64(value);
            if (!_integerMap.TryGetValue(v, out long index)) _integerMap[v] = index = _integerMap.Count;
            return index;
        };
    }

    /// <summary>
    /// Rows per class index, in one streaming pass over the label column alone (memory is O(classes)); fails on a missing
    /// label naming the row, as the training reader would. <paramref name="checkCanceled"/> is called every 65,536 rows.
    /// </summary>
    public Dictionary<long, long> CountClasses(IDataView data, Action checkCanceled)
    {
        var counts = new Dictionary<long, long>();
        using DataViewRowCursor cursor = data.GetRowCursor(new[] { data.Schema[ColumnName] });
        Func<long, long> getter = CreateGetter(cursor);
        long row = 0;
        while (cursor.MoveNext())
        {
            if ((row & 0xFFFF) == 0) checkCanceled();
            long label = getter(row++);
            counts[label] = counts.TryGetValue(label, out long c) ? c + 1 : 1;
        }
        return counts;
    }

    private Func<long, long> NumberGetter<T>(DataViewRowCursor cursor, DataViewSchema.Column column, Func<T, double> toDouble)
    {
        ValueGetter<T> getter = cursor.GetGetter<T>(column);
        T value = default!;
        return row =>
        {
            getter(ref value);
            double d = toDouble(value);
            if (double.IsNaN(d)) throw Missing(row, "NaN");
            if (!_numberMap.TryGetValue(d, out long index)) _numberMap[d] = index = _numberMap.Count;
            return index;
        };
    }

    private InvalidOperationException Missing(long row, string what) =>
        new($"Label column '{ColumnName}' row {row} holds {what}; every training row needs a label. " +
            "Filter such rows first, e.g. with mlContext.Data.FilterRowsByMissingValues.");
}
