using ContrastiveML.Onnx;
using ContrastiveML.Scoring;
using Microsoft.ML;
using Microsoft.ML.Runtime;

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
    /// <remarks>The encoder scores where <paramref name="mlContext"/>'s <c>GpuDeviceId</c> and <c>FallbackToCpu</c> say (the CPU by
    /// default), as ML.NET's own ONNX scorer does; the overload with <c>gpuDeviceId</c> chooses explicitly.</remarks>
    public static ITransformer Load(MLContext mlContext, string path, out DataViewSchema inputSchema)
    {
        ArgumentNullException.ThrowIfNull(mlContext);
        return Load(mlContext, path, out inputSchema, mlContext.GpuDeviceId, mlContext.FallbackToCpu);
    }

    /// <summary>
    /// As <see cref="Load(MLContext, string, out DataViewSchema)"/>, scoring the encoder on CUDA device
    /// <paramref name="gpuDeviceId"/> through ONNX Runtime's CUDA execution provider (needs the GPU build of ONNX Runtime,
    /// <c>-p:ContrastiveOnnxRuntime=gpu</c>), wherever the encoder was trained. The conventions are ML.NET's
    /// <c>ApplyOnnxModel</c>'s; the device scored on, and the reason for a fallback, are written to the MLContext log.
    /// </summary>
    /// <param name="mlContext">The context to load into.</param>
    /// <param name="path">The model zip.</param>
    /// <param name="inputSchema">The input schema the model was saved with.</param>
    /// <param name="gpuDeviceId">The CUDA device to score on; null for the CPU.</param>
    /// <param name="fallbackToCpu">Score on the CPU when that device cannot be used, instead of throwing <see cref="InvalidOperationException"/>.</param>
    public static ITransformer Load(MLContext mlContext, string path, out DataViewSchema inputSchema, int? gpuDeviceId, bool fallbackToCpu = false)
    {
        ArgumentNullException.ThrowIfNull(mlContext);
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"The model file '{path}' does not exist.", path);
        using FileStream stream = File.OpenRead(path);
        return Load(mlContext, stream, $"'{path}'", new OnnxScoringDevice(gpuDeviceId, fallbackToCpu), out inputSchema);
    }

    /// <summary>As <see cref="Load(MLContext, string, out DataViewSchema)"/>, from a stream holding the model zip.</summary>
    /// <param name="mlContext">The context to load into.</param>
    /// <param name="stream">The model zip; read from its current position.</param>
    /// <param name="inputSchema">The input schema the model was saved with.</param>
    public static ITransformer Load(MLContext mlContext, Stream stream, out DataViewSchema inputSchema)
    {
        ArgumentNullException.ThrowIfNull(mlContext);
        return Load(mlContext, stream, out inputSchema, mlContext.GpuDeviceId, mlContext.FallbackToCpu);
    }

    /// <summary>As <see cref="Load(MLContext, string, out DataViewSchema, int?, bool)"/>, from a stream holding the model zip.</summary>
    /// <param name="mlContext">The context to load into.</param>
    /// <param name="stream">The model zip; read from its current position.</param>
    /// <param name="inputSchema">The input schema the model was saved with.</param>
    /// <param name="gpuDeviceId">The CUDA device to score on; null for the CPU.</param>
    /// <param name="fallbackToCpu">Score on the CPU when that device cannot be used, instead of throwing <see cref="InvalidOperationException"/>.</param>
    public static ITransformer Load(MLContext mlContext, Stream stream, out DataViewSchema inputSchema, int? gpuDeviceId, bool fallbackToCpu = false)
    {
        ArgumentNullException.ThrowIfNull(mlContext);
        ArgumentNullException.ThrowIfNull(stream);
        return Load(mlContext, stream, "The model stream", new OnnxScoringDevice(gpuDeviceId, fallbackToCpu), out inputSchema);
    }

    private static ITransformer Load(MLContext mlContext, Stream stream, string source, OnnxScoringDevice device, out DataViewSchema inputSchema)
    {
        if (device.GpuDeviceId is < 0) throw new ArgumentOutOfRangeException("gpuDeviceId", device.GpuDeviceId, $"gpuDeviceId must be null (CPU) or a CUDA device id (0, 1, ...); found {device.GpuDeviceId}.");
        long length = stream.CanSeek ? stream.Length - stream.Position : -1;
        ITransformer loaded;
        try
        {
            // A non-seekable stream cannot be read twice; it loads without the checksum pass.
            if (stream.CanSeek) ZipIntegrity.Verify(stream, source);
            loaded = LoadStock(mlContext, stream, device, out inputSchema);
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
        // Outside the try: a CUDA device that cannot be used is not a damaged file, and says so itself.
        IHost host = ((IHostEnvironment)mlContext).Register(nameof(ContrastiveModel));
        using IChannel channel = host.Start("Load");
        return LoadedModelBatching.Apply(mlContext, loaded, device, message => channel.Info(MessageSensitivity.None, $"{nameof(ContrastiveModel)}.Load: {message}"));
    }

    /// <summary>
    /// ML.NET's loader gives every ONNX scorer in the zip the context's GpuDeviceId. With the CPU-only ONNX Runtime that
    /// fails with EntryPointNotFoundException even under FallbackToCpu (ML.NET catches OnnxRuntimeException only), so
    /// then the zip is loaded through a context without GPU settings when a fallback is allowed, and refused with the
    /// reason when it is not.
    /// </summary>
    private static ITransformer LoadStock(MLContext mlContext, Stream stream, OnnxScoringDevice device, out DataViewSchema inputSchema)
    {
        if (mlContext.GpuDeviceId is null || OnnxScoringSession.HasCudaProvider) return mlContext.Model.Load(stream, out inputSchema);
        if (!device.FallbackToCpu)
        {
            throw new InvalidOperationException(
                $"MLContext.GpuDeviceId is {mlContext.GpuDeviceId}, but {OnnxScoringSession.CpuOnlyBuild} Build with -p:ContrastiveOnnxRuntime=gpu " +
                "(see the README), or set MLContext.FallbackToCpu to score on the CPU.");
        }
        return new MLContext(seed: 0).Model.Load(stream, out inputSchema);
    }

    /// <summary>
    /// Exports a pipeline that ends in a stock linear multiclass trainer on a contrastive encoder's embedding (for
    /// example <c>SimClr -> MapValueToKey -> NormalizeMeanVariance -> LbfgsMaximumEntropy</c>), fitted or loaded from a
    /// zip, as one ONNX model an application outside .NET can classify images with: the encoder's graph (raw pixels
    /// [N, C*H*W] in CHW order, 0..255, as the encoder reads them; image loading and resizing stay with the caller), then
    /// <c>Gemm</c> with the trainer's weights (an affine normalizer between the two folded in) and <c>Softmax</c> for a
    /// maximum-entropy trainer. Outputs: the encoder's own, <c>Score</c> [N, K] (ML.NET's Score column) and
    /// <c>PredictedIndex</c> [N] int64; the class labels, in score order, are the JSON array in metadata_props
    /// <c>contrastiveml.classifier.labels</c>. ML.NET's <c>ConvertToOnnx</c> cannot convert such a pipeline (see the README).
    /// </summary>
    /// <param name="model">The fitted or loaded pipeline.</param>
    /// <param name="inputSchema">The schema the pipeline reads (the data it was fitted on, or the one Load returned).</param>
    /// <exception cref="ArgumentException">The pipeline holds no encoder or no linear multiclass trainer on its embedding; the message names what it found.</exception>
    public static byte[] ExportClassifierToOnnx(ITransformer model, DataViewSchema inputSchema) => Export.ClassifierOnnxExport.Export(model, inputSchema);

    /// <summary>As <see cref="ExportClassifierToOnnx(ITransformer, DataViewSchema)"/>, written atomically to <paramref name="path"/>.</summary>
    /// <param name="model">The fitted or loaded pipeline.</param>
    /// <param name="inputSchema">The schema the pipeline reads.</param>
    /// <param name="path">The .onnx file to write.</param>
    public static void ExportClassifierToOnnx(ITransformer model, DataViewSchema inputSchema, string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        AtomicFile.WriteAllBytes(path, ExportClassifierToOnnx(model, inputSchema));
    }

    private static Exception Innermost(Exception error)
    {
        while (error.InnerException != null) error = error.InnerException;
        return error;
    }
}
