using ContrastiveML.Encoders;
using ContrastiveML.Losses;
using ContrastiveML.Training;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace ContrastiveML.Methods.MetricLearning;

/// <summary>
/// Metric learning's training step: two views per image, encoder (and projection head if asked for), unit-length
/// embeddings, then the triplet or contrastive loss mined inside the 2N views. The views' labels are the images' class
/// labels, or without labels each image's index, so that the two views of an image are always a positive pair.
/// </summary>
/// <remarks>
/// Besides the loss, each step measures (without gradient) what a user needs to see this family's failure modes: the
/// fraction of mined triplets or pairs that are active (a loss stuck at zero), the mean positive and negative distance,
/// and the spread of the batch's unit-length embeddings over different images (collapse to a point).
/// </remarks>
internal sealed class MetricLearningMethod : TwoViewProjectionMethod
{
    /// <summary>
    /// Active (non-zero loss) triplets or pairs over those mined, since the last report; 0 when none was mined. Always 1
    /// with Hard and SemiHard triplet mining (every such triplet violates the margin), so read it with <see cref="MinedFractionFigure"/>.
    /// </summary>
    public const string ActiveFractionFigure = "activeFraction";

    /// <summary>
    /// Mined triplets or pairs over all valid ones of the batches since the last report (triplets: a ≠ p with a's label,
    /// n with another; pairs: every ordered pair of distinct views). Falls to 0 when the miner finds nothing to learn from.
    /// </summary>
    public const string MinedFractionFigure = "minedFraction";

    /// <summary>Mean distance of positive pairs (same label, or the two views of an image), in the loss's distance.</summary>
    public const string PositiveDistanceFigure = "positiveDistance";

    /// <summary>Mean distance of negative pairs, in the loss's distance.</summary>
    public const string NegativeDistanceFigure = "negativeDistance";

    /// <summary>Mean Euclidean distance between the unit-length embeddings of different images; 0 at collapse.</summary>
    public const string SpreadFigure = "spread";

    private readonly MetricLossKind _loss;
    private readonly DistanceKind _distance;
    private readonly bool _normalize;
    private readonly TripletMining _tripletMiner;
    private readonly PairMining _pairMiner;
    private readonly double _margin, _positiveMargin, _negativeMargin, _collapseSpread;
    private readonly Action<string> _warn;
    private bool _collapseWarned, _inactiveWarned;

    // Sums since the last report.
    private long _mined, _active, _candidates;
    private double _positiveDistance, _negativeDistance, _spread;
    private int _steps;

    /// <param name="encoder">The backbone.</param>
    /// <param name="options">The options (validated).</param>
    /// <param name="shape">The image shape.</param>
    /// <param name="warn">Writes a warning to the MLContext log.</param>
    public MetricLearningMethod(ImageEncoder encoder, MetricLearningOptions options, ImageShape shape, Action<string> warn)
        : base("MetricLearning", encoder, options.AugmentationFor(shape), shape, options.ProjectionHiddenDim, options.ProjectionDim)
    {
        _loss = options.Loss;
        _distance = options.Distance;
        _normalize = options.NormalizeEmbeddings;
        _tripletMiner = options.TripletMiner;
        _pairMiner = options.PairMiner;
        _margin = options.Margin;
        _positiveMargin = options.PositiveMargin;
        _negativeMargin = options.NegativeMargin;
        _collapseSpread = options.CollapseSpread;
        _warn = warn;
        DeclareSetting(nameof(MetricLearningOptions.Loss), _loss);
        DeclareSetting(nameof(MetricLearningOptions.Distance), _distance);
        DeclareSetting(nameof(MetricLearningOptions.NormalizeEmbeddings), _normalize);
        DeclareSetting(nameof(MetricLearningOptions.TripletMiner), _tripletMiner);
        DeclareSetting(nameof(MetricLearningOptions.PairMiner), _pairMiner);
        DeclareSetting(nameof(MetricLearningOptions.Margin), _margin);
        DeclareSetting(nameof(MetricLearningOptions.PositiveMargin), _positiveMargin);
        DeclareSetting(nameof(MetricLearningOptions.NegativeMargin), _negativeMargin);
    }

    public override Tensor ComputeLoss(ContrastiveBatch batch)
    {
        long n = batch.Images.shape[0];
        Tensor z = ProjectTwoViews(batch);
        if (_normalize) z = F.normalize(z, p: 2, dim: 1);
        // Created on the batch's device, so the same code runs on CUDA.
        Tensor imageIndex;
        using (var s = new KeptScalars())
        {
            imageIndex = s.Arange(0, n, 1, ScalarType.Int64, z.device);
        }
        Tensor imageLabels = batch.Labels ?? imageIndex;
        Tensor labels = cat(new[] { imageLabels, imageLabels }, 0);
        MinedLoss mined = _loss == MetricLossKind.Triplet
            ? TripletMarginLoss.Compute(z, labels, _margin, _tripletMiner, _distance)
            : ContrastivePairLoss.Compute(z, labels, _positiveMargin, _negativeMargin, _distance, _pairMiner);
        _mined += mined.Selected;
        _active += mined.Active;
        _steps++;
        Measure(z, labels, cat(new[] { imageIndex, imageIndex }, 0));
        return mined.Loss;
    }

    /// <summary>Adds this step's mean positive and negative distance and spread to the interval's sums.</summary>
    private void Measure(Tensor z, Tensor labels, Tensor images)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        // Numbers as Scalars kept alive until the return (see KeptScalars); integers stay Int64, as implicitly converted.
        using var s = new KeptScalars();
        Scalar two = s.Of(2L);
        Tensor x = z.detach();
        long m = x.shape[0];
        Tensor d = Distances.Matrix(x, _distance);
        Tensor same = labels.unsqueeze(1).eq(labels.unsqueeze(0));
        Tensor notSelf = eye(m, dtype: ScalarType.Bool, device: x.device).logical_not();
        Tensor positive = same.logical_and(notSelf);
        Tensor negative = same.logical_not();
        _positiveDistance += d.masked_select(positive).mean().item<float>();
        _candidates += _loss == MetricLossKind.Triplet
            ? positive.sum(1, type: ScalarType.Int64).mul(negative.sum(1, type: ScalarType.Int64)).sum().item<long>()
            : m * (m - 1);
        // Every batch has two images or more (BatchSize ≥ 2, and a batch of 1 is never formed), but with labels all of
        // one class in a batch has no negative; such a step counts 0 here rather than NaN.
        _negativeDistance += negative.any().item<bool>() ? d.masked_select(negative).mean().item<float>() : 0;

        Tensor unit = F.normalize(x, p: 2, dim: 1);
        // √(2 − 2uᵀv), computed as TorchSharp's `2 - 2 * t` does it: −(2t) + 2.
        Tensor unitDistance = unit.matmul(unit.t()).mul(two).neg().add(two, KeptScalars.One).clamp_min(s.Of(0L)).sqrt();
        Tensor otherImage = images.unsqueeze(1).ne(images.unsqueeze(0));
        double spread = unitDistance.masked_select(otherImage).mean().item<float>();
        _spread += spread;
        if (_collapseSpread > 0 && spread < _collapseSpread && !_collapseWarned)
        {
            _collapseWarned = true;
            _warn($"{Name}: the embedding is collapsing: the mean distance between the unit-length embeddings of different images " +
                  $"is {spread:G3} (below CollapseSpread = {_collapseSpread}; about 1.4 for unrelated images). Every image maps to nearly " +
                  "the same point. Usual fixes: SemiHard instead of Hard mining, a lower LearningRate, a longer warm-up, NormalizeEmbeddings = true.");
        }
    }

    public override IReadOnlyDictionary<string, double> ProgressFigures()
    {
        var figures = new Dictionary<string, double>();
        if (_steps > 0)
        {
            figures[ActiveFractionFigure] = _mined == 0 ? 0 : (double)_active / _mined;
            figures[MinedFractionFigure] = _candidates == 0 ? 0 : (double)_mined / _candidates;
            figures[PositiveDistanceFigure] = _positiveDistance / _steps;
            figures[NegativeDistanceFigure] = _negativeDistance / _steps;
            figures[SpreadFigure] = _spread / _steps;
            if (_active == 0 && !_inactiveWarned)
            {
                _inactiveWarned = true;
                string what = _loss == MetricLossKind.Triplet ? "triplet" : "pair";
                _warn($"{Name}: no {what} was active in the last {_steps} step(s) ({_mined} mined): the loss is zero and the encoder is not learning. " +
                      (_loss == MetricLossKind.Triplet
                          ? $"Raise Margin (now {_margin}) or mine with All or Hard instead of {_tripletMiner}."
                          : $"Raise NegativeMargin (now {_negativeMargin}) or lower PositiveMargin (now {_positiveMargin})."));
            }
        }
        _mined = 0;
        _active = 0;
        _candidates = 0;
        _positiveDistance = 0;
        _negativeDistance = 0;
        _spread = 0;
        _steps = 0;
        return figures;
    }
}
