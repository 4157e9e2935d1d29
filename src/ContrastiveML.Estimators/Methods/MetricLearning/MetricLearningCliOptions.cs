using ContrastiveML.Losses;
using ContrastiveML.Methods.CommandLine;

namespace ContrastiveML.Methods.MetricLearning;

/// <summary>Metric learning's command-line options: the loss, the miner and whether to use the labels.</summary>
internal static class MetricLearningCliOptions
{
    /// <summary>The <c>--metric-loss</c> value of Hadsell et al.'s pair loss.</summary>
    public const string ContrastiveLoss = "contrastive";

    /// <summary>The <c>--metric-loss</c> value of FaceNet's triplet loss.</summary>
    public const string TripletLoss = "triplet";

    /// <summary><c>--metric-loss</c>.</summary>
    public static MethodCliOption<string> Loss { get; } = new("--metric-loss", "contrastive (Hadsell et al. pair loss) or triplet (FaceNet margin loss).")
    {
        AllowedValues = new[] { TripletLoss, ContrastiveLoss },
    };

    /// <summary><c>--miner</c>.</summary>
    public static MethodCliOption<string> Miner { get; } = new("--miner",
        "Which triplets (all, hard, semi-hard) or pairs (all, hard = batch hard) enter the loss.")
    {
        AllowedValues = new[] { "all", "hard", "semi-hard", "easy" },
        DefaultDescription = "semi-hard for triplet, all for contrastive",
    };

    /// <summary><c>--no-labels</c>.</summary>
    public static MethodCliOption<bool> NoLabels { get; } = new("--no-labels", "Learn without labels, the two views of each image being the positive pair.");

    /// <summary>The loss a <c>--metric-loss</c> value names.</summary>
    public static MetricLossKind LossKind(string loss) => loss switch
    {
        ContrastiveLoss => MetricLossKind.Contrastive,
        TripletLoss => MetricLossKind.Triplet,
        _ => throw new ArgumentException($"--metric-loss takes {ContrastiveLoss} or {TripletLoss}; found '{loss}'."),
    };

    /// <summary>Sets the miner of the loss already chosen; a miner that loss has no use for is an error naming it.</summary>
    public static void SetMiner(MetricLearningOptions options, string miner)
    {
        if (options.Loss == MetricLossKind.Contrastive)
        {
            options.PairMiner = miner switch
            {
                "all" => PairMining.All,
                "hard" => PairMining.Hard,
                _ => throw new ArgumentException($"--miner {miner} applies to --metric-loss triplet; the contrastive loss takes all or hard (batch hard)."),
            };
        }
        else
        {
            options.TripletMiner = miner switch
            {
                "all" => TripletMining.All,
                "hard" => TripletMining.Hard,
                "semi-hard" => TripletMining.SemiHard,
                _ => throw new ArgumentException($"--miner {miner}: easy triplets (d(a, n) > d(a, p) + margin) have zero loss by definition, so training on them changes nothing; use all, hard or semi-hard."),
            };
        }
    }
}
