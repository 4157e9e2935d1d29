using ContrastiveML.Losses;
using ContrastiveML.Methods.CommandLine;
using ContrastiveML.Methods.MetricLearning;
using ContrastiveML.Samples;
using ContrastiveML.Samples.Probing;
using ContrastiveML.Training;
using Microsoft.ML;

namespace ContrastiveML.Tests;

/// <summary>How <c>probe --method metric</c> maps --metric-loss, --miner and --no-labels onto <see cref="MetricLearningOptions"/>.</summary>
public class ProbeMetricOptionsTests
{
    private static MetricLearningOptions Map(string loss, string? miner, bool noLabels = false) =>
        (MetricLearningOptions)ProbeEstimator.Options(new ProbeSettings
        {
            Method = "metric",
            MethodOptions = new MethodCliValues()
                .Set(MetricLearningCliOptions.Loss, loss).Set(MetricLearningCliOptions.Miner, miner).Set(MetricLearningCliOptions.NoLabels, noLabels),
        });

    [Fact]
    public void TripletMinersMapOntoTripletMining()
    {
        Assert.Equal(TripletMining.SemiHard, Map("triplet", null).TripletMiner); // the estimator's (FaceNet's) default
        Assert.Equal(TripletMining.All, Map("triplet", "all").TripletMiner);
        Assert.Equal(TripletMining.Hard, Map("triplet", "hard").TripletMiner);
        Assert.Equal(TripletMining.SemiHard, Map("triplet", "semi-hard").TripletMiner);
        Assert.Equal(MetricLossKind.Triplet, Map("triplet", null).Loss);
        Assert.Equal("Label", Map("triplet", null).LabelColumnName);
        Assert.Null(Map("triplet", null, noLabels: true).LabelColumnName);
    }

    [Fact]
    public void ContrastiveTakesAllOrBatchHardPairs()
    {
        Assert.Equal(MetricLossKind.Contrastive, Map("contrastive", null).Loss);
        Assert.Equal(PairMining.All, Map("contrastive", null).PairMiner);
        Assert.Equal(PairMining.Hard, Map("contrastive", "hard").PairMiner);
        var error = Assert.Throws<ArgumentException>(() => Map("contrastive", "semi-hard"));
        Assert.Contains("--miner semi-hard", error.Message);
        Assert.Contains("all or hard", error.Message);
    }

    [Fact]
    public void EasyTripletsAreRefusedWithTheReason()
    {
        var error = Assert.Throws<ArgumentException>(() => Map("triplet", "easy"));
        Assert.Contains("--miner easy", error.Message);
        Assert.Contains("zero loss", error.Message);
    }
}

/// <summary>How the probe's shared options (--weight-decay, --color-jitter, --crop-scale-min) reach every method's estimator options.</summary>
public class ProbeSharedOptionsTests
{
    private static ContrastiveEncoderOptions OptionsOf(string method, double? colorJitter, double? weightDecay, double? cropScaleMin = null)
    {
        var settings = new ProbeSettings
        {
            Method = method, Minutes = 15, DataDirectory = "unused", Device = TrainingDevice.Cpu, WeightDecay = weightDecay,
            MethodOptions = new MethodCliValues().Set(MethodCliOptions.ColorJitter, colorJitter).Set(MethodCliOptions.CropScaleMin, cropScaleMin),
        };
        ContrastiveEncoderOptions? seen = null;
        ProbeEstimator.Create(new MLContext(1), settings, options => seen = options);
        return seen!;
    }

    private static ContrastiveML.Augmentation.SimClrAugmentationOptions? AugmentationOf(ContrastiveEncoderOptions options) => options switch
    {
        SimClrOptions o => o.Augmentation,
        SupConOptions o => o.Augmentation,
        MoCoOptions o => o.Augmentation,
        MetricLearningOptions o => o.Augmentation,
        SupervisedPretrainingOptions o => o.Augmentation,
        CmcOptions o => o.Augmentation,
        _ => throw new InvalidOperationException(options.GetType().Name),
    };

    [Theory]
    [InlineData("simclr")]
    [InlineData("supcon")]
    [InlineData("moco")]
    [InlineData("densecl")]
    [InlineData("metric")]
    [InlineData("crossentropy")]
    [InlineData("cmc")]
    public void ColorJitterAndWeightDecayReachTheEstimator(string method)
    {
        ContrastiveEncoderOptions options = OptionsOf(method, colorJitter: 0, weightDecay: 5e-4, cropScaleMin: 0.6);
        Assert.Equal(5e-4, options.WeightDecay);
        var augmentation = AugmentationOf(options)!;
        Assert.Equal(0, augmentation.ColorJitterProbability);
        Assert.Equal(0.6, augmentation.CropScaleMin);
        // The rest of the method's 1-channel defaults are kept: jitter strength and flip are not touched by either option.
        var defaults = method == "cmc"
            ? new CmcOptions().AugmentationFor(FashionMnist.Shape)
            : ContrastiveML.Augmentation.SimClrAugmentationOptions.ForSmallGrayscale();
        Assert.Equal(defaults.Brightness, augmentation.Brightness);
        Assert.Equal(defaults.HorizontalFlipProbability, augmentation.HorizontalFlipProbability);
    }

    [Fact]
    public void WithoutTheOptionsTheEstimatorsDefaultsStand()
    {
        ContrastiveEncoderOptions options = OptionsOf("supcon", colorJitter: null, weightDecay: null);
        Assert.Equal(new SupConOptions().WeightDecay, options.WeightDecay);
        Assert.Null(AugmentationOf(options));
    }
}
