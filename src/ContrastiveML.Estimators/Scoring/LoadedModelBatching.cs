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
/// </summary>
internal static class LoadedModelBatching
{
    /// <summary>The metadata key every exported encoder carries.</summary>
    private const string MethodKey = "contrastiveml.method";

    public static ITransformer Apply(ITransformer model)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (model is OnnxTransformer onnx) return TryWrap(onnx) ?? model;
        if (model is IEnumerable<ITransformer> parts && IsTransformerChain(model.GetType()))
        {
            ITransformer[] original = parts.ToArray();
            ITransformer[] replaced = original.Select(Apply).ToArray();
            if (original.SequenceEqual(replaced)) return model;
            return new TransformerChain<ITransformer>(replaced, Scopes(model, original));
        }
        return model;
    }

    private static BatchedOnnxScorer? TryWrap(OnnxTransformer onnx)
    {
        byte[]? bytes = MLNetInterop.OnnxModelBytes(onnx);
        // A quick look for the key before opening a session: other ONNX models in a pipeline may be large.
        if (bytes == null || bytes.AsSpan().IndexOf("contrastiveml.method"u8) < 0) return null;
        InferenceSession session = OnnxScoringSession.Create(bytes);
        if (session.ModelMetadata.CustomMetadataMap.ContainsKey(MethodKey) && session.InputMetadata.Count == 1 && session.OutputMetadata.Count == 1)
        {
            return new BatchedOnnxScorer(onnx, session);
        }
        session.Dispose();
        return null;
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
