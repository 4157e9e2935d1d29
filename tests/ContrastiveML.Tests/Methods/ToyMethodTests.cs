using ContrastiveML.Encoders;
using ContrastiveML.Methods;
using ContrastiveML.Training;
using Microsoft.ML;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace ContrastiveML.Tests;

/// <summary>Options of the toy method: the shared options plus one setting of its own.</summary>
public sealed class ToyOptions : ContrastiveEncoderOptions
{
    /// <summary>Weight of the toy loss.</summary>
    public double Weight = 1;
}

/// <summary>
/// A toy method: two views per image through the encoder, and the mean squared distance between the two views'
/// unit-length embeddings as the loss (alignment alone; it would collapse if trained for long, which a test does not).
/// </summary>
internal sealed class ToyMethod : ContrastiveMethod
{
    private readonly double _weight;

    public ToyMethod(ImageEncoder encoder, ToyOptions options, ImageShape shape)
        : base("Toy", encoder, options.AugmentationFor(shape), shape)
    {
        _weight = options.Weight;
        DeclareSetting(nameof(ToyOptions.Weight), _weight);
    }

    public override Tensor ComputeLoss(ContrastiveBatch batch)
    {
        Tensor[] views = MakeViews(batch, 2);
        Tensor first = F.normalize(Encoder.forward(batch.Normalize(views[0])), p: 2, dim: 1);
        Tensor second = F.normalize(Encoder.forward(batch.Normalize(views[1])), p: 2, dim: 1);
        return first.sub(second).pow(2).sum(1).mean().mul(_weight);
    }
}

/// <summary>
/// Adding a method takes three pieces, an options class, a method class and a descriptor: once registered, the toy
/// method fits through the generic catalog entry and passes the conformance checks the library's methods pass.
/// </summary>
public class ToyMethodTests
{
    private static readonly MethodDescriptor<ToyOptions> Descriptor = new("toy", "Toy", c => new ToyMethod(c.Encoder, c.Options, c.Shape));

    static ToyMethodTests() => MethodRegistry.Register(Descriptor);

    private static ToyOptions Options() => TinyFits.Tiny(new ToyOptions(), maxSteps: 3);

    private static readonly EstimatorCase Toy = new("Toy", UsesLabels: false, Options);

    [Fact]
    public void TheGenericCatalogEntryFitsTheRegisteredToyMethod()
    {
        var ml = new MLContext(1);
        var log = EstimatorTestKit.CaptureLog(ml);
        IDataView data = TinyFits.Data(ml, 24);

        ContrastiveEncoderEstimator<ToyOptions> estimator = ml.Transforms.ContrastiveEncoder(Options());
        ContrastiveEncoderTransformer model = estimator.Fit(data);

        Assert.Equal("Toy", model.Report.Method);
        Assert.Equal(3, model.Report.Steps);
        Assert.All(model.Report.LossCurve.Select(p => p.Loss), loss => Assert.True(double.IsFinite(loss) && loss >= 0));
        Assert.Contains(log, m => m.Contains("Toy: exported the encoder to ONNX", StringComparison.Ordinal));
        float[] embedding = ml.Data.CreateEnumerable<EmbeddingRow>(model.Transform(data), reuseRowObject: false).First().Embedding;
        Assert.Equal(model.EmbeddingDim, embedding.Length);
    }

    [Fact]
    public void TheToyMethodPassesTheConformanceChecks()
    {
        var conformance = new EstimatorConformanceTests();
        conformance.TheAnnouncedSchemaIsTheOneTheFittedTransformerProduces(Toy);
        foreach (string bad in new[] { "missing", "double", "variable-size", "scalar", "wrong-size" })
            conformance.ABadPixelColumnIsRefusedNamingTheColumnTheExpectedAndTheFound(Toy, bad);
        conformance.AFitExportsWithParitySurvivesTheModelZipAndScoresWithoutTheLabel(Toy);
        conformance.AFittedTransformerRefusesPixelsOfAnotherSizeAsFitDoes(Toy);
    }

    [Fact]
    public void TheToyCheckpointRestoresAndRefusesAnotherSettingOfTheToy()
    {
        string directory = Path.Combine(Path.GetTempPath(), "contrastiveml-toy-" + Guid.NewGuid().ToString("N"));
        try
        {
            var ml = new MLContext(1);
            IDataView data = TinyFits.Data(ml, 24);
            ToyOptions first = Options();
            first.CheckpointDirectory = directory;
            ml.Transforms.ContrastiveEncoder(first).Fit(data);

            // The same options: the checkpoint written at the end of training is restored, and Fit only exports.
            ToyOptions same = Options();
            same.CheckpointDirectory = directory;
            ContrastiveEncoderTransformer resumed = new MLContext(1).Transforms.ContrastiveEncoder(same).Fit(data);
            Assert.Equal(3, resumed.Report.ResumedFromStep);
            Assert.Equal(3, resumed.Report.Steps);

            ToyOptions other = Options();
            other.CheckpointDirectory = directory;
            other.Weight = 2;
            var error = Assert.Throws<InvalidOperationException>(() => new MLContext(1).Transforms.ContrastiveEncoder(other).Fit(data));
            Assert.Contains("Weight = 1", error.Message, StringComparison.Ordinal);
            Assert.Contains("Weight = 2", error.Message, StringComparison.Ordinal);
        }
        finally
        {
            if (Directory.Exists(directory)) Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public void OptionsOfAnUnregisteredTypeAreRefusedNamingTheType()
    {
        var error = Assert.Throws<ArgumentException>(() => new MLContext(1).Transforms.ContrastiveEncoder(new UnregisteredOptions { ImageShape = TinyFits.Shape }));
        Assert.Contains(nameof(UnregisteredOptions), error.Message, StringComparison.Ordinal);
        Assert.Contains(nameof(SimClrOptions), error.Message, StringComparison.Ordinal);
    }

    private sealed class UnregisteredOptions : ContrastiveEncoderOptions
    {
    }

    private sealed class EmbeddingRow
    {
        public float[] Embedding { get; set; } = Array.Empty<float>();
    }
}
