using System.Globalization;
using System.Text;

namespace ContrastiveML.Samples;

/// <summary>
/// Writes embeddings as CSV: a header (<c>path,e0,e1,...</c>), then one row per image: its path, then the vector,
/// numbers in the invariant culture (shortest round-trip form) so that the file reads the same everywhere.
/// </summary>
internal static class EmbeddingCsv
{
    /// <summary>Writes the rows to <paramref name="path"/> (through a temporary file); all vectors must have one length.</summary>
    public static void Write(string path, IReadOnlyList<(string Path, float[] Vector)> rows)
    {
        int dimension = rows.Count == 0 ? 0 : rows[0].Vector.Length;
        string temporary = path + ".tmp";
        using (var writer = new StreamWriter(temporary, append: false, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false)))
        {
            writer.Write("path");
            for (int j = 0; j < dimension; j++) writer.Write(string.Create(CultureInfo.InvariantCulture, $",e{j}"));
            writer.Write('\n');
            foreach (var (file, vector) in rows)
            {
                if (vector.Length != dimension)
                {
                    throw new InvalidOperationException($"Embedding of '{file}' has {vector.Length} values; expected {dimension} like the others.");
                }
                writer.Write(Quote(file));
                foreach (float value in vector)
                {
                    writer.Write(',');
                    writer.Write(value.ToString(CultureInfo.InvariantCulture));
                }
                writer.Write('\n');
            }
        }
        File.Move(temporary, path, overwrite: true);
    }

    /// <summary>RFC 4180 quoting, only where a field needs it.</summary>
    internal static string Quote(string field) =>
        field.IndexOfAny(new[] { ',', '"', '\n', '\r' }) < 0 ? field : "\"" + field.Replace("\"", "\"\"") + "\"";
}
