using ContrastiveML.Onnx;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.Transforms.Onnx;

namespace ContrastiveML.Scoring;

/// <summary>
/// Gives a model loaded from a zip the batched scoring a fitted one has: every stock <c>OnnxTransformer</c> whose
/// model ContrastiveML exported (it carries the <c>contrastiveml.method</c> metadata) is replaced by a
/// <see cref="BatchedOnnxScorer"/> around it, at any depth of nested chains; everything else is kept as loaded.
/// On a CUDA device, the stock transformer inside is rebuilt for that device too (a saved model does not record one).
/// </summary>
internal static class LoadedModelBatching
{
    /// <summary>The metadata key every exported encoder carries.</summary>
    private const string MethodKey = "contrastiveml.method";

    public static ITransformer Apply(MLContext ml, ITransformer model, OnnxScoringDevice device, Action<string> log)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (model is OnnxTransformer onnx) return TryWrap(ml, onnx, device, log) ?? model;
        if (model is IEnumerable<ITransformer> parts && IsTransformerChain(model.GetType()))
        {
            ITransformer[] original = parts.ToArray();
            ITransformer[] replaced = original.Select(part => Apply(ml, part, device, log)).ToArray();
            if (original.SequenceEqual(replaced)) return model;
            return new TransformerChain<ITransformer>(replaced, Scopes(model, original));
        }
        return model;
    }

    private static BatchedOnnxScorer? TryWrap(MLContext ml, OnnxTransformer onnx, OnnxScoringDevice device, Action<string> log)
    {
        byte[]? bytes = MLNetInterop.OnnxModelBytes(onnx);
        // A quick look for the key before opening a session: other ONNX models in a pipeline may be large.
        if (bytes == null || bytes.AsSpan().IndexOf("contrastiveml.method"u8) < 0) return null;
        using (InferenceSession probe = OnnxScoringSession.Create(bytes))
        {
            if (!probe.ModelMetadata.CustomMetadataMap.ContainsKey(MethodKey) || probe.InputMetadata.Count != 1 || probe.OutputMetadata.Count != 1) return null;
        }
        InferenceSession session = OnnxScoringSession.Create(bytes, device, out OnnxScoringDevice used, log);
        try
        {
            ITransformer stock = used.GpuDeviceId is null ? onnx : StockScorerOn(ml, bytes, session, used);
            if (!ReferenceEquals(stock, onnx)) onnx.Dispose();
            return new BatchedOnnxScorer(stock, session);
        }
        catch
        {
            session.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The stock scorer over the same bytes on <paramref name="device"/>'s CUDA device, for what runs row by row
    /// (PredictionEngine); it saves exactly like the loaded one (ONNX bytes and column names; ML.NET saves no device).
    /// </summary>
    private static ITransformer StockScorerOn(MLContext ml, byte[] bytes, InferenceSession session, OnnxScoringDevice device)
    {
        string input = session.InputMetadata.Keys.Single();
        string output = session.OutputMetadata.Keys.Single();
        int values = session.InputMetadata[input].Dimensions.Skip(1).Aggregate(1, (a, d) => a * Math.Max(d, 1));
        var schema = new DataViewSchema.Builder();
        schema.AddColumn(input, new VectorDataViewType(NumberDataViewType.Single, values));
        return StockOnnxScorer.Fit(ml, bytes, new[] { output }, input, device, new SchemaOnlyDataView(schema.ToSchema()));
    }

    private static bool IsTransformerChain(Type type) => type.IsGenericType && type.GetGenericTypeDefinition() == typeof(TransformerChain<>);

    /// <summary>
    /// Each part's scope in the loaded chain (training, testing, scoring), recovered through the public GetModelFor,
    /// so the rebuilt chain keeps them.
    /// </summary>
    private static TransformerScope[] Scopes(ITransformer chain, ITransformer[] parts)
    {
        var method = chain.GetType().GetMethod("GetModelFor", new[] { typeof(TransformerScope) });
        var scopes = new TransformerScope[parts.Length];
        foreach (TransformerScope scope in new[] { TransformerScope.Training, TransformerScope.Testing, TransformerScope.Scoring })
        {
            var members = ((IEnumerable<ITransformer>)method!.Invoke(chain, new object[] { scope })!).ToHashSet(ReferenceEqualityComparer.Instance);
            for (int i = 0; i < parts.Length; i++)
            {
                if (members.Contains(parts[i])) scopes[i] |= scope;
            }
        }
        return scopes;
    }
}
