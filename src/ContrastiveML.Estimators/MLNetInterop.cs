using System.Reflection;
using ContrastiveML.Onnx;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using Microsoft.ML.Transforms;
using Microsoft.ML.Transforms.Onnx;

namespace ContrastiveML;

/// <summary>
/// The places where code outside the ML.NET repository needs a member ML.NET keeps internal. Each is reached
/// by reflection against the pinned ML.NET version and covered by a test, so an ML.NET upgrade that moves one fails
/// loudly in the suite rather than silently at a user's site.
/// </summary>
internal static class MLNetInterop
{
    private static readonly ConstructorInfo ColumnConstructor =
        typeof(SchemaShape.Column).GetConstructors(BindingFlags.NonPublic | BindingFlags.Public | BindingFlags.Instance)
            .Single(c => c.GetParameters().Length == 5);

    /// <summary>
    /// The environment behind a catalog (MLContext.Transforms), so that an estimator made from
    /// <c>mlContext.Transforms.SimClr(...)</c> logs to that MLContext and sees its CancelExecution.
    /// </summary>
    public static IHostEnvironment GetEnvironment(TransformsCatalog catalog)
    {
        PropertyInfo? property = typeof(TransformsCatalog)
            .GetProperties(BindingFlags.NonPublic | BindingFlags.Instance)
            .FirstOrDefault(p => typeof(IHostEnvironment).IsAssignableFrom(p.PropertyType));
        object? env = property?.GetValue(catalog);
        return env as IHostEnvironment ?? throw new InvalidOperationException(
            "This ML.NET version does not expose the catalog's environment where ContrastiveML expects it; use the estimator's MLContext constructor.");
    }

    /// <summary>True once MLContext.CancelExecution() was called on <paramref name="env"/> (ICancelable is internal to ML.NET).</summary>
    public static bool IsCanceled(IHostEnvironment env)
    {
        PropertyInfo? property = env.GetType().GetInterfaces()
            .FirstOrDefault(i => i.Name == "ICancelable")?.GetProperty("IsCanceled");
        return property != null && (bool)property.GetValue(env)!;
    }

    /// <summary>
    /// The ONNX model bytes a stock <c>OnnxTransformer</c> scores with, or null where this ML.NET version keeps them
    /// elsewhere. The transformer holds them in a temporary file (its internal <c>OnnxModel.ModelStream</c>), which
    /// it reads back itself when saved; this reads the same file.
    /// </summary>
    public static byte[]? OnnxModelBytes(OnnxTransformer transformer)
    {
        const BindingFlags Instance = BindingFlags.NonPublic | BindingFlags.Public | BindingFlags.Instance;
        object? model = typeof(OnnxTransformer).GetFields(Instance).FirstOrDefault(f => f.FieldType.Name == "OnnxModel")?.GetValue(transformer)
                        ?? typeof(OnnxTransformer).GetProperties(Instance).FirstOrDefault(p => p.PropertyType.Name == "OnnxModel")?.GetValue(transformer);
        if (model?.GetType().GetProperty("ModelStream", Instance)?.GetValue(model) is not FileStream stream) return null;
        return File.ReadAllBytes(stream.Name);
    }

    /// <summary>
    /// The ONNX scoring device an ML.NET environment asks for: MLContext's public <c>GpuDeviceId</c> and
    /// <c>FallbackToCpu</c>, which the environment behind a catalog carries through an internal interface
    /// (IHostEnvironmentInternal) and ML.NET's own ONNX scorer reads when it is given no device.
    /// </summary>
    public static OnnxScoringDevice ScoringDevice(IHostEnvironment env)
    {
        if (env is MLContext ml) return new OnnxScoringDevice(ml.GpuDeviceId, ml.FallbackToCpu);
        const BindingFlags Instance = BindingFlags.NonPublic | BindingFlags.Public | BindingFlags.Instance;
        object? id = env.GetType().GetProperty("GpuDeviceId", Instance)?.GetValue(env);
        object? fallback = env.GetType().GetProperty("FallbackToCpu", Instance)?.GetValue(env);
        return new OnnxScoringDevice(id as int?, fallback as bool? ?? false);
    }

    /// <summary>
    /// The columns of a fitted normalizer: output name, input name and fitted parameters (NormalizingTransformer.Columns
    /// is internal; its public GetNormalizerModelParameters(i) gives the parameters but not which column i is).
    /// </summary>
    public static IReadOnlyList<(string Name, string InputColumnName, NormalizingTransformer.NormalizerModelParametersBase Parameters)> NormalizerColumns(NormalizingTransformer normalizer)
    {
        const BindingFlags Instance = BindingFlags.NonPublic | BindingFlags.Public | BindingFlags.Instance;
        object? columns = typeof(NormalizingTransformer).GetField("Columns", Instance)?.GetValue(normalizer)
            ?? throw new InvalidOperationException("This ML.NET version does not keep a normalizer's columns where ContrastiveML expects them (NormalizingTransformer.Columns).");
        var result = new List<(string, string, NormalizingTransformer.NormalizerModelParametersBase)>();
        int index = 0;
        foreach (object column in (System.Collections.IEnumerable)columns)
        {
            Type type = column.GetType();
            string name = (string)type.GetField("Name", Instance)!.GetValue(column)!;
            string input = (string)type.GetField("InputColumnName", Instance)!.GetValue(column)!;
            result.Add((name, input, normalizer.GetNormalizerModelParameters(index++)));
        }
        return result;
    }

    /// <summary>A schema-shape column for a known-size float vector (SchemaShape.Column's constructor is internal).</summary>
    public static SchemaShape.Column KnownSizeSingleVector(string name)
    {
        return (SchemaShape.Column)ColumnConstructor.Invoke(new object?[]
        {
            name, SchemaShape.Column.VectorKind.Vector, NumberDataViewType.Single, false, null,
        });
    }
}
