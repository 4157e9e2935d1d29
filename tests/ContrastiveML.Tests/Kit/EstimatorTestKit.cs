using System.Reflection;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace ContrastiveML.Tests;

/// <summary>An 8x8 pixel row with a UInt32 class label: the data every estimator accepts, supervised or not.</summary>
public sealed class LabelledEightByEightRow
{
    [VectorType(64)] public float[] Pixels { get; set; } = new float[64];
    public uint Label { get; set; }
}

/// <summary>An 8x8 pixel row with a text label.</summary>
public sealed class TextLabelRow
{
    [VectorType(64)] public float[] Pixels { get; set; } = new float[64];
    public string Label { get; set; } = "";
}

/// <summary>An 8x8 pixel row with a Single label (NaN is a missing label).</summary>
public sealed class FloatLabelRow
{
    [VectorType(64)] public float[] Pixels { get; set; } = new float[64];
    public float Label { get; set; }
}

/// <summary>An 8x8 pixel row whose label is a vector, which no supervised method accepts.</summary>
public sealed class VectorLabelRow
{
    [VectorType(64)] public float[] Pixels { get; set; } = new float[64];
    [VectorType(2)] public float[] Label { get; set; } = new float[2];
}

/// <summary>
/// One of the library's estimators as the conformance tests build it: the tiny CPU options of its own test class
/// (width-4 encoder, 8x8 images, a few steps), reading <c>Pixels</c> (and <c>Label</c> when it uses labels) and writing
/// <c>Embedding</c>.
/// </summary>
public sealed record EstimatorCase(string Name, bool UsesLabels, Func<ContrastiveEncoderOptions> Options)
{
    /// <summary>The estimator of fresh options, changed first by <paramref name="adjust"/>.</summary>
    public IEstimator<ContrastiveEncoderTransformer> Create(MLContext ml, Action<ContrastiveEncoderOptions>? adjust = null)
    {
        ContrastiveEncoderOptions options = Options();
        adjust?.Invoke(options);
        return Methods.MethodRegistry.For(options).CreateEstimator(ml, options);
    }

    /// <summary>Shown by the test runner as the theory's argument.</summary>
    public override string ToString() => Name;
}

/// <summary>Helpers the estimator tests share: ML.NET's internal schema-shape factory, the log, labelled rows, the seven estimators.</summary>
internal static class EstimatorTestKit
{
    /// <summary>SchemaShape.Create is internal to ML.NET; ML.NET's own tests reach it the same way.</summary>
    public static SchemaShape ShapeOf(DataViewSchema schema) =>
        (SchemaShape)typeof(SchemaShape).GetMethod("Create", BindingFlags.NonPublic | BindingFlags.Public | BindingFlags.Static)!.Invoke(null, new object[] { schema })!;

    /// <summary>Collects the MLContext's log messages (Fit logs its choices there).</summary>
    public static List<string> CaptureLog(MLContext ml)
    {
        var messages = new List<string>();
        ml.Log += (_, e) => { lock (messages) messages.Add(e.Message); };
        return messages;
    }

    /// <summary><paramref name="count"/> random 8x8 rows labelled <c>i % classes</c>.</summary>
    public static LabelledEightByEightRow[] LabelledRows(int count, int classes = 3) =>
        Rows(count, (p, i) => new LabelledEightByEightRow { Pixels = p, Label = (uint)(i % classes) });

    /// <summary>The tiny options of each method's own test class, by the method's command-line name.</summary>
    private static readonly Dictionary<string, Func<ContrastiveEncoderOptions>> TinyOptions = new()
    {
        ["simclr"] = () => TinyFits.Options(batchSize: 8),
        ["supcon"] = () => SupConEstimatorTests.Options(),
        ["metric"] = () => MetricLearningEstimatorTests.Options(),
        ["moco"] = () => MoCoEstimatorTests.Options(),
        ["densecl"] = () => DenseClEstimatorTests.Options(),
        ["cmc"] = () => CmcEstimatorTests.Options(),
        ["crossentropy"] = () => SupervisedPretrainingTests.Options(),
    };

    /// <summary>Every method of the library's registry, with the tiny options of its own test class.</summary>
    public static IEnumerable<EstimatorCase> All() => Methods.MethodRegistry.BuiltIn.Select(method =>
    {
        Func<ContrastiveEncoderOptions> options = TinyOptions.TryGetValue(method.CliName, out var tiny) ? tiny
            : throw new InvalidOperationException($"The registry's method '{method.CliName}' has no tiny test options: add them to EstimatorTestKit.TinyOptions.");
        return new EstimatorCase(method.DisplayName, method.UsesLabels(options()), options);
    });

    /// <summary><see cref="All"/> as xUnit theory data; <paramref name="labelsOnly"/> keeps the estimators that read labels.</summary>
    public static TheoryData<EstimatorCase> Cases(bool labelsOnly = false)
    {
        var data = new TheoryData<EstimatorCase>();
        foreach (EstimatorCase estimator in All().Where(e => e.UsesLabels || !labelsOnly)) data.Add(estimator);
        return data;
    }

    /// <summary>Sets the label column of a supervised method's options.</summary>
    public static void SetLabelColumn(ContrastiveEncoderOptions options, string name) =>
        (options as LabelledEncoderOptions ?? throw new InvalidOperationException($"{options.GetType().Name} has no label column.")).LabelColumnName = name;

    /// <summary><paramref name="count"/> random 8x8 rows, each made with its pixels and index by <paramref name="make"/>.</summary>
    public static T[] Rows<T>(int count, Func<float[], int, T> make) =>
        TinyFits.Rows(count).Select((r, i) => make(r.Pixels, i)).ToArray();

    /// <summary><paramref name="count"/> random 8x8 rows with UInt32 labels <paramref name="label"/>(i), by default i % 3.</summary>
    public static IDataView UIntData(MLContext ml, int count = 16, Func<int, uint>? label = null) =>
        ml.Data.LoadFromEnumerable(Rows(count, (p, i) => new LabelledEightByEightRow { Pixels = p, Label = label?.Invoke(i) ?? (uint)(i % 3) }));
}
