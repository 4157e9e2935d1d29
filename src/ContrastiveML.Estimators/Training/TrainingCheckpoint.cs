using System.Text;

namespace ContrastiveML.Training;

/// <summary>
/// One training checkpoint: where training stood (step, epoch, batch within the epoch), the options it was trained
/// with (a fingerprint checked on resume), the loss history so far (so the report of a resumed Fit covers the whole
/// run), the libtorch generator's state, every module's parameters and buffers, and the optimiser's state.
/// </summary>
/// <remarks>
/// File layout (little-endian):
/// <code>
/// magic    8 bytes  "CMLCKPT\0"
/// version  uint32   3 (version 1 had no loss history, version 2 held TorchSharp's AdamW/SGD state; such files are refused, naming both versions)
/// length   int64    payload bytes
/// crc      uint32   CRC-32 (zip's polynomial) of the payload
/// payload  length bytes, written with BinaryWriter:
///   fingerprint count (int32), then (name, value) string pairs
///   step (int64), epoch (int32, 1-based), batches of that epoch done (int32), images seen (int64), training seconds (double)
///   loss history (<see cref="LossHistory.Write"/>): epoch means, curve points, the sums of the epoch and interval in progress
///   generator state, model state, optimizer state: each an int32 length and that many bytes
/// </code>
/// The file is written whole to a temporary file and renamed over the old one (<see cref="AtomicFile"/>), so a kill
/// mid-write leaves the previous checkpoint in place. A file that is truncated, has another magic or version, or
/// whose payload does not match its CRC is rejected with an <see cref="InvalidDataException"/> naming it.
/// </remarks>
internal sealed class TrainingCheckpoint
{
    /// <summary>The checkpoint's file name inside the checkpoint directory.</summary>
    public const string FileName = "contrastive-checkpoint.bin";

    private const uint FormatVersion = 3;
    private const int HeaderSize = 8 + 4 + 8 + 4;
    private static ReadOnlySpan<byte> Magic => "CMLCKPT\0"u8;

    public required IReadOnlyList<KeyValuePair<string, string>> Fingerprint { get; init; }
    public required long Step { get; init; }
    public required int Epoch { get; init; }
    public required int BatchesInEpoch { get; init; }
    public required long ImagesSeen { get; init; }
    public required double TrainingSeconds { get; init; }
    public required LossHistory History { get; init; }
    public required byte[] GeneratorState { get; init; }
    public required byte[] ModelState { get; init; }
    public required byte[] OptimizerState { get; init; }

    /// <summary>Writes the checkpoint to <paramref name="path"/> atomically (temporary file, then rename).</summary>
    public void Write(string path)
    {
        using var payloadStream = new MemoryStream();
        using (var writer = new BinaryWriter(payloadStream, Encoding.UTF8, leaveOpen: true))
        {
            CheckpointFingerprint.Write(writer, Fingerprint);
            writer.Write(Step);
            writer.Write(Epoch);
            writer.Write(BatchesInEpoch);
            writer.Write(ImagesSeen);
            writer.Write(TrainingSeconds);
            History.Write(writer);
            WriteBlock(writer, GeneratorState);
            WriteBlock(writer, ModelState);
            WriteBlock(writer, OptimizerState);
        }
        ReadOnlySpan<byte> payload = payloadStream.GetBuffer().AsSpan(0, (int)payloadStream.Length);
        var file = new byte[HeaderSize + payload.Length];
        Magic.CopyTo(file);
        BitConverter.TryWriteBytes(file.AsSpan(8), FormatVersion);
        BitConverter.TryWriteBytes(file.AsSpan(12), (long)payload.Length);
        BitConverter.TryWriteBytes(file.AsSpan(20), ZipIntegrity.Crc32(payload));
        payload.CopyTo(file.AsSpan(HeaderSize));
        AtomicFile.WriteAllBytes(path, file);
    }

    /// <summary>Reads and verifies the checkpoint at <paramref name="path"/>.</summary>
    /// <exception cref="InvalidDataException">The file is not a checkpoint, is of another version, truncated or corrupt.</exception>
    public static TrainingCheckpoint Read(string path)
    {
        byte[] file = File.ReadAllBytes(path);
        InvalidDataException Bad(string why, Exception? inner = null) =>
            new($"The checkpoint '{path}' cannot be used: {why}. Delete it (or choose another CheckpointDirectory) to train from the start.", inner);

        if (file.Length < HeaderSize) throw Bad($"it is truncated ({file.Length} bytes, shorter than the {HeaderSize}-byte header)");
        if (!file.AsSpan(0, 8).SequenceEqual(Magic)) throw Bad("it is not a ContrastiveML checkpoint (wrong magic bytes)");
        uint version = BitConverter.ToUInt32(file, 8);
        if (version != FormatVersion)
        {
            throw Bad($"its format version is {version}; this library reads version {FormatVersion}" +
                      (version < FormatVersion ? " (the file was written by an earlier ContrastiveML)" : " (the file was written by a later ContrastiveML)"));
        }
        long length = BitConverter.ToInt64(file, 12);
        if (length != file.Length - HeaderSize)
        {
            throw Bad(length > file.Length - HeaderSize
                ? $"it is truncated (the header announces {length} payload bytes; {file.Length - HeaderSize} are present)"
                : $"its length does not match its header ({file.Length - HeaderSize} payload bytes; the header announces {length})");
        }
        uint expected = BitConverter.ToUInt32(file, 20);
        uint actual = ZipIntegrity.Crc32(file.AsSpan(HeaderSize));
        if (actual != expected) throw Bad($"it is corrupt (CRC-32 of the payload is {actual:X8}, the header records {expected:X8})");

        try
        {
            using var reader = new BinaryReader(new MemoryStream(file, HeaderSize, file.Length - HeaderSize, writable: false), Encoding.UTF8);
            int count = reader.ReadInt32();
            if (count < 0 || count > 1000) throw Bad($"its fingerprint count {count} is invalid");
            var fingerprint = new List<KeyValuePair<string, string>>(count);
            for (int i = 0; i < count; i++) fingerprint.Add(new(reader.ReadString(), reader.ReadString()));
            var checkpoint = new TrainingCheckpoint
            {
                Fingerprint = fingerprint,
                Step = reader.ReadInt64(),
                Epoch = reader.ReadInt32(),
                BatchesInEpoch = reader.ReadInt32(),
                ImagesSeen = reader.ReadInt64(),
                TrainingSeconds = reader.ReadDouble(),
                History = LossHistory.Read(reader),
                GeneratorState = ReadBlock(reader),
                ModelState = ReadBlock(reader),
                OptimizerState = ReadBlock(reader),
            };
            if (reader.BaseStream.Position != reader.BaseStream.Length) throw Bad("it has bytes after its last section");
            if (checkpoint.Step < 0 || checkpoint.Epoch < 1 || checkpoint.BatchesInEpoch < 0) throw Bad("its training position is invalid");
            return checkpoint;
        }
        catch (Exception error) when (error is not InvalidDataException && error is IOException or FormatException or ArgumentException)
        {
            throw Bad($"its payload cannot be parsed ({error.Message})", error);
        }
    }

    private static void WriteBlock(BinaryWriter writer, byte[] bytes)
    {
        writer.Write(bytes.Length);
        writer.Write(bytes);
    }

    private static byte[] ReadBlock(BinaryReader reader)
    {
        int length = reader.ReadInt32();
        if (length < 0 || length > reader.BaseStream.Length - reader.BaseStream.Position)
            throw new EndOfStreamException($"a section announces {length} bytes; fewer remain");
        return reader.ReadBytes(length);
    }
}
