using System.Reflection;
using ContrastiveML.Losses;
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
    /// <summary>
    /// Applied to <see cref="Options"/> by the reproducibility and resume checks, so that a 20-step run over 48 rows
    /// exercises all the state the method carries from step to step (a queue or bank that wraps around, a head, a key
    /// encoder that visibly moves, an extra output column): state the checkpoint must hold for a resume to be exact.
    /// </summary>
    public Action<ContrastiveEncoderOptions>? LongRun { get; init; }

    /// <summary>
    /// Settings the method declares for its checkpoints (its <c>DeclareSetting</c> calls), each with a change: a
    /// checkpoint written before the change must be refused naming the setting. Empty for a method that declares none.
    /// </summary>
    public IReadOnlyList<SettingChange> OwnSettings { get; init; } = Array.Empty<SettingChange>();

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

/// <summary>
/// A change of one of a method's own checkpoint settings: <paramref name="Option"/> is <paramref name="Saved"/> in the
/// <see cref="EstimatorCase.LongRun"/> options over 48 rows and becomes <paramref name="Changed"/> after <paramref name="Apply"/>,
/// both as the checkpoint's refusal writes them.
/// </summary>
public sealed record SettingChange(string Option, string Saved, string Changed, Action<ContrastiveEncoderOptions> Apply)
{
    /// <summary>A change written against the method's own options type.</summary>
    public static SettingChange Of<TOptions>(string option, string saved, string changed, Action<TOptions> apply) where TOptions : ContrastiveEncoderOptions =>
        new(option, saved, changed, o => apply((TOptions)o));

    /// <summary>Shown by the test runner.</summary>
    public override string ToString() => $"{Option}: {Saved} -> {Changed}";
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

    /// <summary>
    /// Per method, by its command-line name: the tiny options of its own test class, what a long run adds
    /// (<see cref="EstimatorCase.LongRun"/>) and changes of its own checkpoint settings (<see cref="EstimatorCase.OwnSettings"/>).
    /// </summary>
    private static readonly Dictionary<string, EstimatorCase> Setups = new()
    {
        ["simclr"] = new("", false, () => TinyFits.Options(batchSize: 8))
        {
            OwnSettings = new[] { SettingChange.Of<SimClrOptions>(nameof(SimClrOptions.Temperature), "0.5", "0.25", o => o.Temperature = 0.25) },
        },
        ["supcon"] = new("", false, () => SupConEstimatorTests.Options())
        {
            OwnSettings = new[]
            {
                SettingChange.Of<SupConOptions>(nameof(SupConOptions.Temperature), "0.1", "0.2", o => o.Temperature = 0.2),
                SettingChange.Of<SupConOptions>(nameof(SupConOptions.ViewsPerImage), "2", "1", o => o.ViewsPerImage = 1),
            },
        },
        ["metric"] = new("", false, () => MetricLearningEstimatorTests.Options())
        {
            // A projection head, whose state the checkpoint must hold too; every triplet mined, so each step uses them all.
            LongRun = o => { var m = (MetricLearningOptions)o; m.ProjectionDim = 8; m.TripletMiner = TripletMining.All; },
            OwnSettings = new[]
            {
                SettingChange.Of<MetricLearningOptions>(nameof(MetricLearningOptions.Loss), "Triplet", "Contrastive", o => o.Loss = MetricLossKind.Contrastive),
                SettingChange.Of<MetricLearningOptions>(nameof(MetricLearningOptions.TripletMiner), "All", "Hard", o => o.TripletMiner = TripletMining.Hard),
                SettingChange.Of<MetricLearningOptions>(nameof(MetricLearningOptions.Margin), "0.2", "0.5", o => o.Margin = 0.5),
            },
        },
        ["moco"] = new("", false, () => MoCoEstimatorTests.Options())
        {
            // The automatic queue over 48 rows is 24 keys: with batches of 8 it wraps around every three steps, so a queue
            // or pointer restored wrongly changes the negatives after a resume. Momentum 0.9 moves the key encoder visibly.
            LongRun = o => ((MoCoOptions)o).KeyMomentum = 0.9,
            OwnSettings = new[]
            {
                SettingChange.Of<MoCoOptions>(nameof(MoCoOptions.QueueSize), "24", "16", o => o.QueueSize = 16),
                SettingChange.Of<MoCoOptions>(nameof(MoCoOptions.KeyMomentum), "0.9", "0.99", o => o.KeyMomentum = 0.99),
            },
        },
        ["densecl"] = new("", false, () => DenseClEstimatorTests.Options())
        {
            // Queues of two batches wrap around within the run; the dense output column is compared as well.
            LongRun = o => { var d = (DenseClOptions)o; d.QueueSize = 16; d.DenseOutputColumnName = "Dense"; },
            OwnSettings = new[]
            {
                SettingChange.Of<DenseClOptions>(nameof(DenseClOptions.DenseLossWeight), "0.5", "0.25", o => o.DenseLossWeight = 0.25),
                SettingChange.Of<DenseClOptions>(nameof(DenseClOptions.GridSize), "2", "1", o => o.GridSize = 1),
            },
        },
        ["cmc"] = new("", false, () => CmcEstimatorTests.Options())
        {
            // A bank of 20 with batches of 8: the ring buffer wraps around in the middle of a batch.
            LongRun = o => ((CmcOptions)o).MemoryBankSize = 20,
            OwnSettings = new[]
            {
                SettingChange.Of<CmcOptions>(nameof(CmcOptions.Temperature), "0.07", "0.2", o => o.Temperature = 0.2),
                SettingChange.Of<CmcOptions>(nameof(CmcOptions.Negatives), "MemoryBank", "Batch", o => o.Negatives = CmcNegatives.Batch),
                SettingChange.Of<CmcOptions>(nameof(CmcOptions.AugmentViewsIndependently), "False", "True", o => o.AugmentViewsIndependently = true),
            },
        },
        // Cross-entropy declares no setting of its own: its classifier is sized from the labels, which the checkpoint's
        // model state fixes.
        ["crossentropy"] = new("", false, () => SupervisedPretrainingTests.Options()),
    };

    /// <summary>Every method of the library's registry, with the tiny options of its own test class.</summary>
    public static IEnumerable<EstimatorCase> All() => Methods.MethodRegistry.BuiltIn.Select(method =>
    {
        EstimatorCase setup = Setups.TryGetValue(method.CliName, out var known) ? known
            : throw new InvalidOperationException($"The registry's method '{method.CliName}' has no tiny test options: add them to EstimatorTestKit.Setups.");
        return setup with { Name = method.DisplayName, UsesLabels = method.UsesLabels(setup.Options()) };
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
