using ContrastiveML.Losses;
using ContrastiveML.Samples;

namespace ContrastiveML.Tests;

/// <summary>How <c>probe --method metric</c> maps --metric-loss, --miner and --no-labels onto <see cref="MetricLearningOptions"/>.</summary>
public class ProbeMetricOptionsTests
{
    private static MetricLearningOptions Map(string loss, string? miner, bool noLabels = false) =>
        ProbeCommand.MetricOptions(new ProbeCommand.MetricSettings(loss, miner, noLabels));

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
