using ContrastiveML.Data;
using ContrastiveML.Training;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace ContrastiveML;

/// <summary>
/// The result of fitting a contrastive estimator: maps the input pixels (or images) to the encoder's embedding.
/// It delegates to a chain of stock ML.NET transformers (pixel extraction for image input, ONNX scoring of the
/// exported encoder), because code outside the ML.NET repository cannot persist a transformer type of its own:
/// <c>mlContext.Model.Save</c> writes that chain, ONNX bytes included, and <c>mlContext.Model.Load</c> gives it back
/// with stock ML.NET and Microsoft.ML.OnnxTransformer alone (the loaded object is the inner chain, not this type).
/// In this process, though, the chain scores a batch of up to 256 rows per ONNX Runtime run rather than the stock
/// scorer's one row per run: <c>Transform</c> returns a data view that reads the pixel column ahead and serves the
/// embeddings row by row (the stock scorer is what is saved; <see cref="ContrastiveModel.Load(MLContext, string, out DataViewSchema)"/>
/// puts the batching back on a loaded model).
/// </summary>
/// <remarks>
/// One instance, or one loaded chain, may score from many threads at once (Transform, or a PredictionEngine per
/// thread). Create per-thread engines over a shared loaded chain with
/// <c>new PredictionEngineOptions { OwnsTransformer = false }</c>: by ML.NET's default an engine owns its model, and
/// disposing one disposes the chain's ONNX Runtime session while other threads still use it.
/// </remarks>
public sealed class ContrastiveEncoderTransformer : ITransformer
{
    private readonly ITransformer _inner;
    private readonly byte[] _onnxModel;

    internal ContrastiveEncoderTransformer(ITransformer inner, byte[] onnxModel, TrainingReport report, ImageShape imageShape,
                                          string inputColumnName, string outputColumnName, string? denseOutputColumnName = null)
    {
        _inner = inner;
        _onnxModel = onnxModel;
        Report = report;
        ImageShape = imageShape;
        InputColumnName = inputColumnName;
        OutputColumnName = outputColumnName;
        DenseOutputColumnName = denseOutputColumnName;
    }

    /// <summary>What training did: device, steps, throughput, loss curve, ONNX parity.</summary>
    public TrainingReport Report { get; }

    /// <summary>The image shape the encoder reads: the input column holds C*H*W pixels of it, or images of its height and width.</summary>
    public ImageShape ImageShape { get; }

    /// <summary>The input column the transformer reads.</summary>
    public string InputColumnName { get; }

    /// <summary>The embedding column the transformer writes.</summary>
    public string OutputColumnName { get; }

    /// <summary>
    /// The dense-feature column the transformer also writes (DenseCL's <c>DenseOutputColumnName</c>): the encoder's last
    /// feature map pooled to an S x S grid, C*S*S values in CHW order; null when it writes none.
    /// </summary>
    public string? DenseOutputColumnName { get; }

    /// <summary>Size of the embedding vector.</summary>
    public int EmbeddingDim => Report.EmbeddingDim;

    /// <summary>The chain this transformer delegates to: what Model.Load returns, except that the ONNX scorer is the batching stand-in for the stock one.</summary>
    public ITransformer Inner => _inner;

    /// <summary>A copy of the exported encoder as an ONNX model (input: raw pixels [N, C*H*W]; output: embeddings [N, D],
    /// then the dense features [N, C*S*S] when <see cref="DenseOutputColumnName"/> is set).</summary>
    public byte[] GetOnnxModel() => (byte[])_onnxModel.Clone();

    /// <summary>
    /// Writes the exported ONNX encoder to <paramref name="path"/>, for use outside ML.NET (ONNX Runtime, other languages).
    /// The write is atomic: a reader (or a crash) sees the old file or the complete new one, never a partial model.
    /// </summary>
    public void SaveOnnx(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        AtomicFile.WriteAllBytes(path, _onnxModel);
    }

    /// <inheritdoc />
    public bool IsRowToRowMapper => _inner.IsRowToRowMapper;

    /// <inheritdoc />
    /// <exception cref="ArgumentException">The input column is missing or does not hold what the encoder reads (named, with what was expected and found).</exception>
    public DataViewSchema GetOutputSchema(DataViewSchema inputSchema)
    {
        CheckInput(inputSchema);
        return _inner.GetOutputSchema(inputSchema);
    }

    /// <inheritdoc />
    /// <exception cref="ArgumentException">The input column is missing or does not hold what the encoder reads.</exception>
    public IRowToRowMapper GetRowToRowMapper(DataViewSchema inputSchema)
    {
        CheckInput(inputSchema);
        return _inner.GetRowToRowMapper(inputSchema);
    }

    /// <inheritdoc />
    /// <exception cref="ArgumentException">The input column is missing or does not hold what the encoder reads.</exception>
    public IDataView Transform(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        CheckInput(input.Schema);
        return _inner.Transform(input);
    }

    /// <summary>
    /// Fit's check of the input column, with Fit's messages: the stock ONNX scorer accepts any vector whose length is a
    /// multiple of the model's input (a 128-value column for a 64-pixel encoder) and fails only when rows are read,
    /// with ONNX Runtime's message, which does not name the column.
    /// </summary>
    private void CheckInput(DataViewSchema inputSchema)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        PixelInput.Resolve(inputSchema, InputColumnName, ImageShape, nameof(inputSchema));
    }

    /// <summary>Saves the inner chain of stock transformers (see the class remarks).</summary>
    void ICanSaveModel.Save(ModelSaveContext ctx) => _inner.Save(ctx);
}
