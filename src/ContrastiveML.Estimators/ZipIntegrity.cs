using System.IO.Compression;

namespace ContrastiveML;

/// <summary>
/// Checks every entry of a zip against the CRC-32 its headers record. .NET's ZipArchive does not (a flipped bit in
/// a stored entry reads back without an error), and ML.NET reads model zips through it, so without this check a
/// damaged ONNX entry can load and score with silently wrong weights.
/// </summary>
internal static class ZipIntegrity
{
    private static readonly uint[] Table = CreateTable();

    /// <summary>
    /// Reads every entry of the zip in <paramref name="stream"/> (from its current position, which is restored) and
    /// throws an <see cref="InvalidDataException"/> naming <paramref name="source"/> and the entry whose bytes do not
    /// match their recorded CRC-32.
    /// </summary>
    public static void Verify(Stream stream, string source)
    {
        long start = stream.Position;
        ZipArchive zip;
        try
        {
            zip = new ZipArchive(stream, ZipArchiveMode.Read, leaveOpen: true);
        }
        catch (InvalidDataException)
        {
            // Not a readable archive at all (e.g. truncated): the load that follows reports that, with the file's size.
            stream.Position = start;
            return;
        }
        using (zip)
        {
            var buffer = new byte[81920];
            foreach (ZipArchiveEntry entry in zip.Entries)
            {
                uint crc = 0xFFFFFFFFu;
                try
                {
                    using Stream content = entry.Open();
                    int read;
                    while ((read = content.Read(buffer, 0, buffer.Length)) > 0)
                    {
                        for (int i = 0; i < read; i++) crc = Table[(crc ^ buffer[i]) & 0xFF] ^ (crc >> 8);
                    }
                }
                catch (InvalidDataException error)
                {
                    throw Damaged(source, entry, $"its compressed data cannot be decoded ({error.Message})", error);
                }
                crc ^= 0xFFFFFFFFu;
                if (crc != entry.Crc32)
                {
                    throw Damaged(source, entry, $"it does not match the checksum recorded when it was saved (CRC-32 {crc:X8}, expected {entry.Crc32:X8})", null);
                }
            }
        }
        stream.Position = start;
    }

    /// <summary>The CRC-32 of zip (reflected, polynomial 0xEDB88320) of <paramref name="bytes"/>.</summary>
    public static uint Crc32(ReadOnlySpan<byte> bytes)
    {
        uint crc = 0xFFFFFFFFu;
        foreach (byte b in bytes) crc = Table[(crc ^ b) & 0xFF] ^ (crc >> 8);
        return crc ^ 0xFFFFFFFFu;
    }

    private static InvalidDataException Damaged(string source, ZipArchiveEntry entry, string why, Exception? inner) =>
        new($"{source} is damaged: its entry '{entry.FullName}' is corrupt: {why}. Save the model again with mlContext.Model.Save.", inner);

    // The reflected CRC-32 of zip (polynomial 0xEDB88320), one table lookup per byte.
    private static uint[] CreateTable()
    {
        var table = new uint[256];
        for (uint n = 0; n < 256; n++)
        {
            uint c = n;
            for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            table[n] = c;
        }
        return table;
    }
}
