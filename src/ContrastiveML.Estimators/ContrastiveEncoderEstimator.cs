using ContrastiveML.Data;
using ContrastiveML.Encoders;
using ContrastiveML.Evaluation;
using ContrastiveML.Methods;
using ContrastiveML.Onnx;
using ContrastiveML.Scoring;
using ContrastiveML.Training;
using ContrastiveML.NativeKernels;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace ContrastiveML;

/// <summary>
/// The Fit of every contrastive pretraining estimator: validates the schema, streams the data into batches, trains the
/// method's encoder with TorchSharp (CUDA when available, CPU otherwise), exports the encoder to ONNX, checks ONNX
/// Runtime against TorchSharp on a probe batch, and returns a transformer made of stock ML.NET parts. What differs
/// between methods comes from the method's registered descriptor (see <see cref="ContrastiveCatalog.ContrastiveEncoder{TOptions}"/>).
/// </summary>
/// <typeparam name="TOptions">The method's options.</typeparam>
public class ContrastiveEncoderEstimator<TOptions> : IEstimator<ContrastiveEncoderTransformer>, ITrainingSetupSource
    where TOptions : ContrastiveEncoderOptions, new()
{
    private const int ProbeBatchSize = 16;

    /// <summary>Held while a Fit seeds libtorch's global generator and initialises its modules (see Fit).</summary>
    private static readonly object InitializationLock = new();
    private readonly IHostEnvironment _env;
    private readonly MLContext? _mlContext;
    private readonly MethodDescriptor<TOptions> _method;

    /// <summary>
    /// Creates the estimator of the method registered for <typeparamref name="TOptions"/> for <paramref name="mlContext"/>
    /// (its log receives progress; its CancelExecution stops Fit).
    /// </summary>
    /// <exception cref="ArgumentException">No method is registered for <typeparamref name="TOptions"/>, or an option is invalid.</exception>
    public ContrastiveEncoderEstimator(MLContext mlContext, TOptions options)
        : this(mlContext, options, MethodRegistry.Get<TOptions>())
    {
    }

    internal ContrastiveEncoderEstimator(IHostEnvironment env, TOptions options, MethodDescriptor<TOptions> method)
    {
        ArgumentNullException.ThrowIfNull(env);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(method);
        options.Validate();
        _env = env;
        _mlContext = env as MLContext;
        _method = method;
        Options = options;
    }

    /// <summary>The options this estimator trains with.</summary>
    private protected TOptions Options { get; }

    /// <summary>The method's display name, e.g. "SimCLR".</summary>
    private protected string MethodName => _method.DisplayName;

    private string? DenseOutputColumnName => _method.DenseOutputColumn(Options);

    /// <summary>
    /// The input schema plus the output column: a known-size float vector (its size, the embedding dimension,
    /// is fixed when the encoder is built), and the dense output column when the method writes one.
    /// Throws, naming the column, when the input column is missing or of the wrong type.
    /// </summary>
    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        PixelInput.Resolve(inputSchema, Options.InputColumnName, Options.RequiredImageShape, nameof(inputSchema));
        if (_method.LabelColumn(Options) is string label) LabelColumn.Check(inputSchema, label, nameof(inputSchema));
        string[] outputs = OutputColumnNames();
        IEnumerable<SchemaShape.Column> columns = inputSchema
            .Where(c => !outputs.Contains(c.Name))
            .Concat(outputs.Select(MLNetInterop.KnownSizeSingleVector));
        return new SchemaShape(columns);
    }

    /// <summary>The columns the transformer writes: the embedding, then the dense output when there is one.</summary>
    private string[] OutputColumnNames() =>
        DenseOutputColumnName is string dense ? new[] { Options.OutputColumnName, dense } : new[] { Options.OutputColumnName };

    /// <summary>Pretrains the encoder on <paramref name="input"/> and returns the embedding transformer.</summary>
    public ContrastiveEncoderTransformer Fit(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        IHost host = _env.Register(MethodName);
        using IChannel channel = host.Start("Fit");
        void Log(string message) => channel.Info(MessageSensitivity.None, message);
        void CheckCanceled()
        {
            Options.CancellationToken.ThrowIfCancellationRequested();
            if (MLNetInterop.IsCanceled(_env)) throw new OperationCanceledException($"{MethodName} Fit was canceled (MLContext.CancelExecution was called).");
        }

        int seed = Options.Seed ?? host.Rand.Next();
        MLContext ml = _mlContext ?? new MLContext(seed);
        using TrainingSetup setup = PrepareTraining(input, ml, seed, Log, CheckCanceled);
        var trainer = new ContrastiveTrainer(Options, Log, CheckCanceled);
        TrainingReport report = trainer.Train(setup.Method, setup.Reader, setup.Statistics, setup.Normalization, setup.BatchSize, setup.Device, seed,
                                              Options.Encoder.ToString(), setup.Evaluator);

        CheckCanceled();
        OnnxInputNormalization normalization = setup.Normalization;
        string pixelColumn = setup.PixelColumn;
        // ONNX graph inputs and outputs need distinct names: score a copy when the output replaces the input column.
        string onnxInput = pixelColumn == Options.OutputColumnName ? Options.OutputColumnName + ".Input" : pixelColumn;
        // The probe batch is the data's first rows: no shuffle buffer to fill for 16 images.
        var probeReader = new PixelBatchReader(setup.Pixels, pixelColumn, Options.RequiredImageShape.Size, shuffleBufferSize: 0);
        byte[] onnx = ExportAndVerify(setup.Encoder, normalization, probeReader, setup.Statistics, seed, onnxInput, out double parity);
        Log($"{MethodName}: exported the encoder to ONNX ({onnx.Length} bytes); ONNX Runtime vs TorchSharp max |diff| = {parity:G3}" +
            (DenseOutputColumnName is null ? "." : " (embedding and dense output)."));
        report = report with { OnnxParityMaxAbsDifference = parity };

        ITransformer inner = BuildInner(ml, setup.Pixels, setup.Extractor, pixelColumn, onnxInput, onnx, Log);
        return new ContrastiveEncoderTransformer(inner, onnx, report, Options.RequiredImageShape, Options.InputColumnName, Options.OutputColumnName, DenseOutputColumnName);
    }

    TrainingSetup ITrainingSetupSource.PrepareTraining(IDataView input, int seed) =>
        PrepareTraining(input ?? throw new ArgumentNullException(nameof(input)), _mlContext ?? new MLContext(seed), seed, _ => { }, () => { });

    /// <summary>
    /// Everything before the first training step: resolves the pixel (and label) columns, extracts pixels from images,
    /// scans and validates the data, picks the device, and builds the encoder, the method and the batch reader.
    /// </summary>
    private TrainingSetup PrepareTraining(IDataView input, MLContext ml, int seed, Action<string> log, Action checkCanceled)
    {
        ImageShape shape = Options.RequiredImageShape;
        PixelInput pixelInput = PixelInput.Resolve(input.Schema, Options.InputColumnName, shape, nameof(input));
        var evaluationClock = System.Diagnostics.Stopwatch.StartNew();
        IDataView? heldOut = null;
        if (Options.Evaluation is OnlineEvaluationOptions evaluation)
        {
            if (evaluation.Data is IDataView given)
            {
                PixelInput.Resolve(given.Schema, Options.InputColumnName, shape, "Evaluation.Data");
                heldOut = given;
            }
            else
            {
                // Held-out rows are never trained on: the split's train part is what the rest of Fit sees.
                DataOperationsCatalog.TrainTestData split = ml.Data.TrainTestSplit(input, evaluation.HoldOutFraction, seed: seed);
                input = split.TrainSet;
                heldOut = split.TestSet;
                log($"{MethodName}: holding out {evaluation.HoldOutFraction:P0} of the rows for evaluation (Evaluation.HoldOutFraction; at most {evaluation.MaxEvaluationRows} are used).");
            }
        }
        evaluationClock.Stop();
        LabelColumn? labels = _method.LabelColumn(Options) is string labelName ? LabelColumn.Resolve(input.Schema, labelName, nameof(input)) : null;

        // Image input: extract planar CHW pixels once, through the same stock transformer the saved model will use.
        string pixelColumn = pixelInput.IsImage ? Options.OutputColumnName + ".Pixels" : Options.InputColumnName;
        ITransformer? extractor = pixelInput.CreatePixelExtractor(ml, pixelColumn)?.Fit(input);
        IDataView pixels = extractor?.Transform(input) ?? input;

        PixelStatistics statistics = PixelStatistics.Scan(pixels, pixelColumn, shape, Options.PixelScale, checkCanceled);
        if (labels != null)
        {
            ClassLabelWording wording = _method.LabelWording ?? new ClassLabelWording(MethodName, "", "Check that the label column holds class labels (not row ids).");
            ClassLabelCheck.Require(labels, pixels, statistics.RowCount, wording, checkCanceled);
        }
        _method.ValidateData?.Invoke(Options, statistics);
        OnnxInputNormalization normalization = InputNormalization.For(Options.PixelScale, statistics, _method.ReadsUnitPixels);
        int batchSize = (int)Math.Min(Options.BatchSize, statistics.RowCount);
        if (batchSize < Options.BatchSize)
        {
            log($"{MethodName}: the data has {statistics.RowCount} rows, fewer than BatchSize = {Options.BatchSize}; training with batches of {batchSize}.");
        }

        // Before libtorch first runs a kernel here: the check may cap oneDNN's ISA, which oneDNN reads once (CpuKernelPolicy).
        CpuKernelStatus kernels = CpuKernelGuard.EnsureVerified();
        foreach (string note in kernels.Notes) log(note);
        log(kernels.Summary);
        Device device = TrainingDeviceSelector.Select(Options.Device);
        log($"{MethodName}: training on {(device.type == DeviceType.CUDA ? "CUDA" : "CPU")} ({statistics.RowCount} images of {shape}, seed {seed}).");

        ImageEncoder encoder;
        IContrastiveMethod method;
        // TorchSharp's layers initialise their weights from libtorch's one process-wide generator, so seeding it and
        // building the modules must not interleave with another Fit on another thread, or the same seed would give
        // different weights. Training itself draws only from this Fit's own generator and Random.
        lock (InitializationLock)
        {
            manual_seed(seed);
            encoder = _method.CreateEncoder?.Invoke(Options, statistics)
                      ?? EncoderFactory.Create(Options.Encoder, shape, Options.EncoderWidth, Options.EncoderPooling);
            try
            {
                method = _method.Create(new MethodBuildContext<TOptions>(_env, MethodName, Options, encoder, seed, statistics, batchSize, labels));
            }
            catch
            {
                encoder.Dispose();
                throw;
            }
        }
        var reader = new PixelBatchReader(pixels, pixelColumn, shape.Size, Options.ShuffleBufferSize, labels, _method.BalancedSamplesPerClass(Options));
        OnlineEvaluator? evaluator;
        try
        {
            evaluator = heldOut == null ? null
                : CreateEvaluator(Options.Evaluation!, heldOut, extractor, pixels, pixelColumn, statistics, normalization, seed, device, evaluationClock, log);
        }
        catch
        {
            method.Dispose();
            encoder.Dispose();
            throw;
        }
        // All hold native (libtorch) memory; everything Fit returns lives in the exported ONNX bytes.
        var setup = new TrainingSetup(Options, pixels, pixelColumn, extractor, statistics, normalization, batchSize, device, encoder, method, reader, evaluator);
        try
        {
            method.MoveTo(device);
        }
        catch
        {
            setup.Dispose();
            throw;
        }
        return setup;
    }

    /// <summary>
    /// Reads the held-out rows (at most <see cref="OnlineEvaluationOptions.MaxEvaluationRows"/>) and, when the training
    /// rows carry the label column, a bank of labelled training rows spread evenly over the data (at most
    /// <see cref="OnlineEvaluationOptions.MaxBankRows"/>), and measures the raw-pixel reference. The time it takes
    /// counts as evaluation time (<paramref name="clock"/> holds the split's).
    /// </summary>
    private OnlineEvaluator CreateEvaluator(OnlineEvaluationOptions evaluation, IDataView heldOut, ITransformer? extractor, IDataView pixels,
                                            string pixelColumn, PixelStatistics statistics, OnnxInputNormalization normalization, int seed, Device device,
                                            System.Diagnostics.Stopwatch clock, Action<string> log)
    {
        clock.Start();
        ImageShape shape = Options.RequiredImageShape;
        IDataView heldPixels = extractor?.Transform(heldOut) ?? heldOut;
        LabelColumn? labels = null;
        bool bankHasLabels = false;
        if (evaluation.LabelColumnName is string labelName)
        {
            labels = LabelColumn.Resolve(heldPixels.Schema, labelName, "Evaluation.LabelColumnName");
            bankHasLabels = evaluation.UseTrainingLabels && pixels.Schema.GetColumnOrNull(labelName) is DataViewSchema.Column c && c.Type.Equals(heldPixels.Schema[labelName].Type);
        }
        EvaluationRows held = EvaluationRows.Read(heldPixels, pixelColumn, shape.Size, labels, evaluation.MaxEvaluationRows, stride: 1);
        // Rows often come sorted by class (image folders): an even stride over the data gives the bank every class.
        int stride = (int)Math.Max(1, (statistics.RowCount + evaluation.MaxBankRows - 1) / evaluation.MaxBankRows);
        EvaluationRows? bank = bankHasLabels ? EvaluationRows.Read(pixels, pixelColumn, shape.Size, labels, evaluation.MaxBankRows, stride) : null;
        var augmentation = new SimClrOptions().AugmentationFor(shape);
        var evaluator = new OnlineEvaluator(evaluation, shape, normalization, held, bank, augmentation, seed, device, clock.Elapsed.TotalSeconds);
        clock.Stop();
        log($"{MethodName}: evaluating on {held.Count} held-out images" +
            (labels == null ? " without labels (alignment, uniformity, effective rank; accuracy needs labels: set Evaluation.LabelColumnName)"
             : bank != null ? $", kNN (k = {evaluation.Neighbors}, cosine) against {bank.Count} labelled training images"
             : $", kNN (k = {evaluation.Neighbors}, cosine) leave-one-out among them (the training rows have no '{labels.ColumnName}' column)") +
            $"; raw pixels: {OnlineEvaluationText.Describe(evaluator.Pixels)}.");
        return evaluator;
    }

    private byte[] ExportAndVerify(ImageEncoder encoder, OnnxInputNormalization normalization, PixelBatchReader reader,
                                   PixelStatistics statistics, int seed, string onnxInput, out double maxAbsDifference)
    {
        ImageShape shape = Options.RequiredImageShape;
        var metadata = new Dictionary<string, string>
        {
            ["contrastiveml.method"] = MethodName,
            ["contrastiveml.encoder"] = Options.Encoder.ToString(),
            ["contrastiveml.embedding_pooling"] = Options.EncoderPooling.ToString(),
            ["contrastiveml.input_shape"] = $"{shape.Channels},{shape.Height},{shape.Width}",
            ["contrastiveml.input_layout"] = "CHW",
            ["contrastiveml.pixel_scale"] = Options.PixelScale.ToString("R", System.Globalization.CultureInfo.InvariantCulture),
            ["contrastiveml.embedding_dim"] = encoder.EmbeddingDim.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["contrastiveml.training_rows"] = statistics.RowCount.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["contrastiveml.version"] = typeof(ContrastiveEncoderEstimator<>).Assembly.GetName().Version?.ToString() ?? "unknown",
        };
        foreach (var (key, value) in _method.ExtraMetadata?.Invoke(encoder) ?? Array.Empty<KeyValuePair<string, string>>()) metadata[key] = value;
        encoder.eval();
        encoder.to(CPU); // export reads weights on the CPU; the parity reference runs there too
        Tensor Normalized(Tensor raw) => normalization.Apply(raw, shape.Channels, shape.Height, shape.Width);
        PixelBatch probe = reader.ReadEpoch(Math.Min(ProbeBatchSize, (int)statistics.RowCount), new Random(seed), minimumLastBatch: 1).First();
        if (DenseOutputColumnName is not string denseColumn)
        {
            byte[] single = OnnxExporter.Export(encoder, shape.Channels, shape.Height, shape.Width, normalization, metadata,
                                                inputName: onnxInput, outputName: Options.OutputColumnName);
            maxAbsDifference = OnnxParity.Verify(single, probe.Pixels, probe.Count, raw => encoder.forward(Normalized(raw)), Options.ParityTolerance);
            return single;
        }

        // The dense output: the trunk's feature map, pooled to S x S and flattened channel-major, beside the embedding.
        int grid = _method.DenseOutputGridSize(Options, encoder);
        long denseWidth = (long)encoder.FeatureMapChannels * grid * grid;
        metadata["contrastiveml.dense_output"] = denseColumn;
        metadata["contrastiveml.dense_output_shape"] = $"{encoder.FeatureMapChannels},{grid},{grid}";
        metadata["contrastiveml.dense_output_layout"] = "CHW";
        byte[] onnx = OnnxExporter.Export(encoder, shape.Channels, shape.Height, shape.Width, normalization, metadata, onnxInput, (graph, input) =>
        {
            string map = encoder.ExportOnnxFeatureMap(graph, input);
            string embedding = encoder.ExportOnnxPooling(graph, map);
            string dense = OnnxLayers.Flatten(graph, DenseFeatureGrid.ExportOnnx(graph, map, encoder, grid), "dense_flatten");
            return new[] { new OnnxOutput(Options.OutputColumnName, embedding, encoder.EmbeddingDim), new OnnxOutput(denseColumn, dense, denseWidth) };
        });
        double embeddingDifference = OnnxParity.Verify(onnx, probe.Pixels, probe.Count, raw => encoder.forward(Normalized(raw)),
                                                       Options.ParityTolerance, Options.OutputColumnName);
        double denseDifference = OnnxParity.Verify(onnx, probe.Pixels, probe.Count,
            raw => DenseFeatureGrid.Pool(encoder.ForwardFeatureMap(Normalized(raw)), grid).flatten(1), Options.ParityTolerance, denseColumn);
        maxAbsDifference = Math.Max(embeddingDifference, denseDifference);
        return onnx;
    }

    private ITransformer BuildInner(MLContext ml, IDataView pixels, ITransformer? extractor, string pixelColumn, string onnxInput, byte[] onnx, Action<string> log)
    {
        var parts = new List<ITransformer>();
        if (extractor != null) parts.Add(extractor);
        IDataView current = pixels;
        var temporaries = new List<string>();
        if (extractor != null) temporaries.Add(pixelColumn);
        if (onnxInput != pixelColumn)
        {
            ITransformer copy = ml.Transforms.CopyColumns(onnxInput, pixelColumn).Fit(current);
            current = copy.Transform(current);
            parts.Add(copy);
            temporaries.Add(onnxInput);
        }
        // The exported graph's input and outputs are named after the columns, as ApplyOnnxModel requires.
        string[] outputs = OutputColumnNames();
        // The device is settled once, by opening the batched session (which logs it and any fallback); the stock scorer
        // (row by row: PredictionEngine, the dense output) then gets the device that session ended on, not a second try.
        // Without a device in the options, the MLContext's GpuDeviceId / FallbackToCpu decide, as for ML.NET's ApplyOnnxModel.
        OnnxScoringDevice requested = Options.GpuDeviceId is int id ? new OnnxScoringDevice(id, Options.FallbackToCpu) : MLNetInterop.ScoringDevice(_env);
        InferenceSession session = OnnxScoringSession.Create(onnx, requested, out OnnxScoringDevice used, message => log($"{MethodName}: {message}"));
        ITransformer scorer;
        try
        {
            ITransformer stockScorer = StockOnnxScorer.Fit(ml, onnx, outputs, onnxInput, used, current);
            // One output: scores a batch of rows per session run and saves as the stock scorer (see BatchedOnnxScorer). With
            // the dense grid as a second output the stock scorer runs as is (one row per session run).
            if (outputs.Length == 1)
            {
                scorer = new BatchedOnnxScorer(stockScorer, session);
            }
            else
            {
                session.Dispose();
                scorer = stockScorer;
            }
        }
        catch
        {
            session.Dispose();
            throw;
        }
        current = scorer.Transform(current);
        parts.Add(scorer);
        if (temporaries.Count > 0)
        {
            ITransformer drop = ml.Transforms.DropColumns(temporaries.Distinct().Where(t => !outputs.Contains(t)).ToArray()).Fit(current);
            parts.Add(drop);
        }
        return new TransformerChain<ITransformer>(parts.ToArray());
    }
}
