using ContrastiveML.Augmentation;
using ContrastiveML.Losses;

namespace ContrastiveML;

/// <summary>
/// Options of <see cref="MetricLearningEstimator"/>: metric learning with a margin loss on mined pairs or triplets. Two
/// augmented views of each image go through the encoder; positives are the views of the same class (with
/// <see cref="LabelledEncoderOptions.LabelColumnName"/>) or the two views of the same image (without labels), negatives everything else in the
/// batch. The loss is the triplet margin loss (Schroff, Kalenichenko, Philbin, "FaceNet: A Unified Embedding for Face
/// Recognition and Clustering", CVPR 2015) or the contrastive pair loss (Hadsell, Chopra, LeCun, "Dimensionality
/// Reduction by Learning an Invariant Mapping", CVPR 2006), on Euclidean or cosine distances of the L2-normalised
/// embedding. As in both papers the loss is put on the embedding itself (no projection head) unless
/// <see cref="ProjectionDim"/> asks for one.
/// </summary>
/// <remarks>
/// Progress reports carry <c>activeFraction</c> (the fraction of the mined triplets or pairs with a non-zero loss; 0
/// means the encoder is not learning; always 1 with Hard and SemiHard mining), <c>minedFraction</c> (mined over all
/// valid triplets or pairs of the batch), <c>positiveDistance</c> and <c>negativeDistance</c> (the mean
/// distance of positive and negative pairs) and <c>spread</c> (the mean distance between the unit-length embeddings of
/// different images, 0 when the embedding has collapsed to a point). The MLContext log gets a warning when the spread
/// falls below <see cref="CollapseSpread"/> or when a whole report interval had no active triplet or pair.
/// </remarks>
public sealed class MetricLearningOptions : LabelledEncoderOptions
{
    /// <summary>
    /// Learns without labels by default (<see cref="LabelledEncoderOptions.LabelColumnName"/> = null): the two views of an
    /// image are then its only positive pair and every view of every other image of the batch is a negative. With a
    /// label column, views of the same class are positives too.
    /// </summary>
    public MetricLearningOptions() => LabelColumnName = null;

    /// <inheritdoc />
    private protected override bool LabelsOptional => true;

    /// <summary>The loss; <see cref="MetricLossKind.Triplet"/> (FaceNet) by default.</summary>
    public MetricLossKind Loss = MetricLossKind.Triplet;

    /// <summary>
    /// The distance d between embeddings. Euclidean by default (FaceNet and Hadsell et al.; FaceNet squares it, this
    /// library does not, as pytorch-metric-learning and Hermans et al. 2017). On unit-length embeddings d ∈ [0, 2] for
    /// both kinds, so the margins keep the same scale.
    /// </summary>
    public DistanceKind Distance = DistanceKind.Euclidean;

    /// <summary>
    /// Scale each embedding to unit length before the loss (default true, as FaceNet's ‖f(x)‖₂ = 1): the margins then
    /// have a fixed scale, and the loss cannot be lowered by shrinking the whole embedding. Cosine distance normalises anyway.
    /// </summary>
    public bool NormalizeEmbeddings = true;

    /// <summary>
    /// Which triplets the triplet loss uses (with <see cref="MetricLossKind.Triplet"/>); FaceNet's
    /// <see cref="TripletMining.SemiHard"/> by default: d(a, p) &lt; d(a, n) &lt; d(a, p) + m, the negatives that are
    /// farther than the positive but inside the margin. <see cref="TripletMining.Hard"/> takes d(a, n) &lt; d(a, p) (FaceNet
    /// reports that the hardest negatives can collapse the model early in training); <see cref="TripletMining.All"/>
    /// every valid triplet. <see cref="TripletMining.Easy"/> (d(a, n) &gt; d(a, p) + m) is refused: easy triplets have zero
    /// loss by definition, so training on them changes nothing.
    /// </summary>
    public TripletMining TripletMiner = TripletMining.SemiHard;

    /// <summary>
    /// Which pairs the contrastive loss uses (with <see cref="MetricLossKind.Contrastive"/>): every pair
    /// (<see cref="PairMining.All"/>, the default, as Hadsell et al.) or, per view, its farthest positive and nearest
    /// negative (<see cref="PairMining.Hard"/>, "batch hard", Hermans, Beyer, Leibe 2017).
    /// </summary>
    public PairMining PairMiner = PairMining.All;

    /// <summary>
    /// The triplet loss margin m (with <see cref="MetricLossKind.Triplet"/>): FaceNet's α = 0.2 on unit-length
    /// embeddings. At least 0; above 0 with SemiHard mining (with m = 0 no triplet is semi-hard).
    /// </summary>
    public double Margin = 0.2;

    /// <summary>
    /// The contrastive loss positive margin m₊ (with <see cref="MetricLossKind.Contrastive"/>): positive pairs closer than
    /// this cost nothing. 0 by default, as Hadsell et al. (who pull positives all the way together) and pytorch-metric-learning.
    /// </summary>
    public double PositiveMargin = 0;

    /// <summary>
    /// The contrastive loss negative margin m₋ (with <see cref="MetricLossKind.Contrastive"/>): negative pairs farther than
    /// this cost nothing. 1 by default (Hadsell et al.'s m, pytorch-metric-learning's default); must exceed PositiveMargin.
    /// </summary>
    public double NegativeMargin = 1;

    /// <summary>
    /// Output size of a training-only projection head (Linear-ReLU-Linear, as SimCLR's) put between the embedding and the
    /// loss; 0 (the default) for none, as FaceNet and Hadsell et al.: the loss then shapes the exported embedding directly.
    /// </summary>
    public int ProjectionDim;

    /// <summary>Hidden size of the projection head (with ProjectionDim &gt; 0); 0 uses the embedding dimension.</summary>
    public int ProjectionHiddenDim;

    /// <summary>
    /// The collapse alarm: when the mean distance between the unit-length embeddings of different images in a batch
    /// (the <c>spread</c> figure, in [0, 2]; about 1.4 for orthogonal embeddings) falls below this value, Fit logs a
    /// warning once. Default 0.01 (a mean angle of about half a degree); 0 turns the alarm off.
    /// </summary>
    public double CollapseSpread = 0.01;


    /// <inheritdoc />
    internal override void Validate()
    {
        base.Validate();
        Require(Enum.IsDefined(Loss), nameof(Loss), Loss, "Triplet or Contrastive");
        Require(Enum.IsDefined(Distance), nameof(Distance), Distance, "Euclidean or Cosine");
        Require(Enum.IsDefined(TripletMiner), nameof(TripletMiner), TripletMiner, "All, Hard or SemiHard");
        Require(TripletMiner != TripletMining.Easy, nameof(TripletMiner), TripletMiner,
                "All, Hard or SemiHard (easy triplets, d(a, n) > d(a, p) + Margin, have zero loss by definition, so training on them changes nothing)");
        Require(Enum.IsDefined(PairMiner), nameof(PairMiner), PairMiner, "All or Hard");
        Require(Margin >= 0 && double.IsFinite(Margin), nameof(Margin), Margin, "a finite number ≥ 0");
        Require(Loss != MetricLossKind.Triplet || TripletMiner != TripletMining.SemiHard || Margin > 0, nameof(Margin), Margin,
                "above 0 with SemiHard mining (a semi-hard negative lies between d(a, p) and d(a, p) + Margin)");
        Require(PositiveMargin >= 0 && double.IsFinite(PositiveMargin), nameof(PositiveMargin), PositiveMargin, "a finite number ≥ 0");
        Require(NegativeMargin > PositiveMargin && double.IsFinite(NegativeMargin), nameof(NegativeMargin), NegativeMargin,
                $"finite and greater than PositiveMargin ({PositiveMargin}), so that positives can end closer than negatives");
        Require(ProjectionDim >= 0, nameof(ProjectionDim), ProjectionDim, "0 (no head) or positive");
        Require(ProjectionHiddenDim >= 0, nameof(ProjectionHiddenDim), ProjectionHiddenDim, "0 (embedding dimension) or positive");
        Require(CollapseSpread >= 0 && CollapseSpread < 2, nameof(CollapseSpread), CollapseSpread, "in [0, 2) (0 turns the alarm off)");
    }
}
