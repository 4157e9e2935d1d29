using ContrastiveML.Scoring;
using Microsoft.ML;

namespace ContrastiveML;

/// <summary>
/// Loads a model zip saved with <c>mlContext.Model.Save</c> (a fitted contrastive encoder, alone or inside a larger
/// pipeline) like <c>mlContext.Model.Load</c>, but with errors that say which file is damaged and how: ML.NET's own
/// are "Failed to open a zip archive" for a truncated file and "Error during class instantiation" for corrupted
/// ONNX bytes, neither naming the file. It also checks every entry against the CRC-32 recorded in the zip, which
/// neither ML.NET nor .NET's ZipArchive does, so a flipped bit fails the load instead of changing the weights.
/// The loaded model also scores like a fitted one: the encoder's stock OnnxTransformer (one session run per row) is
/// wrapped to score a batch of rows per run, as <c>Transform</c> on a freshly fitted encoder does; saving it again
/// still writes the stock transformer.
/// </summary>
public static class ContrastiveModel
{
    /// <summary>
    /// Loads the model at <paramref name="path"/>. Throws <see cref="FileNotFoundException"/> when there is no such
    /// file, and <see cref="InvalidDataException"/> naming the file and the cause when it is not a readable model zip
    /// (truncated, not a zip), an entry does not match its recorded checksum, or a transformer in it cannot be
    /// restored (e.g. corrupted ONNX bytes).
    /// </summary>
    /// <param name="mlContext">The context to load into.</param>
    /// <param name="path">The model zip.</param>
    /// <param name="inputSchema">The input schema the model was saved with.</param>
    public static ITransformer Load(MLContext mlContext, string path, out DataViewSchema inputSchema)
    {
        ArgumentNullException.ThrowIfNull(mlContext);
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"The model file '{path}' does not exist.", path);
        using FileStream stream = File.OpenRead(path);
        return Load(mlContext, stream, $"'{path}'", out inputSchema);
    }

    /// <summary>As <see cref="Load(MLContext, string, out DataViewSchema)"/>, from a stream holding the model zip.</summary>
    /// <param name="mlContext">The context to load into.</param>
    /// <param name="stream">The model zip; read from its current position.</param>
    /// <param name="inputSchema">The input schema the model was saved with.</param>
    public static ITransformer Load(MLContext mlContext, Stream stream, out DataViewSchema inputSchema)
    {
        ArgumentNullException.ThrowIfNull(mlContext);
        ArgumentNullException.ThrowIfNull(stream);
        return Load(mlContext, stream, "The model stream", out inputSchema);
    }

    private static ITransformer Load(MLContext mlContext, Stream stream, string source, out DataViewSchema inputSchema)
    {
        long length = stream.CanSeek ? stream.Length - stream.Position : -1;
        try
        {
            // A non-seekable stream cannot be read twice; it loads without the checksum pass.
            if (stream.CanSeek) ZipIntegrity.Verify(stream, source);
            return LoadedModelBatching.Apply(mlContext.Model.Load(stream, out inputSchema));
        }
        catch (FormatException error) when (error.InnerException is InvalidDataException || error.Message.Contains("zip", StringComparison.OrdinalIgnoreCase))
        {
            // ML.NET reports any unreadable zip this way; the usual cause is a copy or download that stopped early.
            string size = length >= 0 ? $" ({length} bytes)" : "";
            throw new InvalidDataException(
                $"{source}{size} is not a readable ML.NET model zip: {Innermost(error).Message} " +
                "The file may be truncated or not a model at all; save the model again with mlContext.Model.Save.", error);
        }
        catch (Exception error) when (error is InvalidOperationException or FormatException or InvalidDataException && Innermost(error) != error)
        {
            // ML.NET wraps a transformer's failure to restore itself in "Error during class instantiation"
            // (TargetInvocationException inside); the innermost exception is the one that says what is wrong.
            Exception cause = Innermost(error);
            throw new InvalidDataException(
                $"{source} is a model zip, but a transformer in it could not be restored ({cause.GetType().Name}: {cause.Message}). " +
                "Its contents are damaged (for a contrastive encoder, usually the ONNX bytes); save the model again with mlContext.Model.Save.", error);
        }
    }

    private static Exception Innermost(Exception error)
    {
        while (error.InnerException != null) error = error.InnerException;
        return error;
    }
}
