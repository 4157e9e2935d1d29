using System.Reflection;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace ContrastiveML.Tests;

/// <summary>An 8x8 pixel row with a class label: the data every estimator accepts, supervised or not.</summary>
public sealed class LabelledEightByEightRow
{
    [VectorType(64)] public float[] Pixels { get; set; } = new float[64];
    public uint Label { get; set; }
}

/// <summary>
/// One of the library's estimators as the conformance tests build it: the tiny CPU set-up of its own test class
/// (width-4 encoder, 8x8 images, a few steps), reading <c>Pixels</c> (and <c>Label</c> when it uses labels) and writing
/// <c>Embedding</c>.
/// </summary>
public sealed record EstimatorCase(string Name, bool UsesLabels, Func<MLContext, IEstimator<ContrastiveEncoderTransformer>> Create)
{
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
        TinyFits.Rows(count).Select((r, i) => new LabelledEightByEightRow { Pixels = r.Pixels, Label = (uint)(i % classes) }).ToArray();

    /// <summary>Every estimator of the library, with the options of its own test class.</summary>
    public static IEnumerable<EstimatorCase> All()
    {
        yield return new("SimCLR", false, ml => ml.Transforms.SimClr(TinyFits.Options(batchSize: 8)));
        yield return new("SupCon", true, ml => ml.Transforms.SupCon(SupConEstimatorTests.Options()));
        yield return new("MetricLearning", true, ml => ml.Transforms.MetricLearning(MetricLearningEstimatorTests.Options()));
        yield return new("MoCo", false, ml => ml.Transforms.MoCo(MoCoEstimatorTests.Options()));
        yield return new("DenseCL", false, ml => ml.Transforms.DenseCl(DenseClEstimatorTests.Options()));
        yield return new("CMC", false, ml => ml.Transforms.Cmc(CmcEstimatorTests.Options()));
        yield return new("CrossEntropy", true, ml => ml.Transforms.SupervisedPretraining(SupervisedPretrainingTests.Options()));
    }

    /// <summary><see cref="All"/> as xUnit theory data.</summary>
    public static TheoryData<EstimatorCase> Cases()
    {
        var data = new TheoryData<EstimatorCase>();
        foreach (EstimatorCase estimator in All()) data.Add(estimator);
        return data;
    }
}
