using System.Diagnostics;
using ContrastiveML.Augmentation;
using ContrastiveML.Onnx;
using static TorchSharp.torch;

namespace ContrastiveML.Evaluation;

/// <summary>
/// Measures an encoder on held-out images during a Fit: kNN accuracy against a labelled bank of training images (or
/// leave-one-out on the held-out images when the training rows carry no labels), a linear probe at the start and
/// the end, and the label-free alignment, uniformity and effective rank. The references, raw pixels and the
/// random-init encoder, are measured on the same images. The held-out images' two augmented views (for alignment)
/// are drawn once from a generator of their own, so every evaluation sees the same views and training draws nothing less.
/// </summary>
internal sealed class OnlineEvaluator : IDisposable
{
    private const int EmbedBatchSize = 256;

    /// <summary>Held-out images whose two views alignment is measured on: enough for a mean of squared distances, and cheap.</summary>
    private const int AlignmentRows = 128;

    /// <summary>
    /// Held-out images the effective rank is measured on: its eigenvalue problem grows with the cube of the rows, and
    /// 256 rows resolve a collapse (the rank is then at most 255) at a fraction of a second.
    /// </summary>
    private const int RankRows = 256;
    private readonly OnlineEvaluationOptions _options;
    private readonly ImageShape _shape;
    private readonly OnnxInputNormalization _normalization;
    private readonly Tensor _held, _firstViews, _secondViews;
    private readonly Tensor? _bank;
    private readonly long[]? _heldLabels, _bankLabels;
    private readonly List<EvaluationPoint> _points = new();
    private readonly Stopwatch _spent = new();
    private readonly EvaluationPoint _pixels;
    private readonly double _secondsBefore;

    /// <param name="options">The evaluation options.</param>
    /// <param name="shape">The image shape.</param>
    /// <param name="normalization">The exported graph's input normalisation (raw pixels to the encoder's input).</param>
    /// <param name="held">The held-out rows (raw pixels; labels when known).</param>
    /// <param name="bank">Labelled training rows for kNN and the linear probe; null for leave-one-out kNN on <paramref name="held"/>.</param>
    /// <param name="augmentation">The augmentation that makes the two views alignment is measured on.</param>
    /// <param name="seed">Seeds the views' own generator.</param>
    /// <param name="device">Where the encoder runs.</param>
    /// <param name="secondsBefore">Evaluation time spent before (splitting and reading the rows), counted in <see cref="Seconds"/>.</param>
    public OnlineEvaluator(OnlineEvaluationOptions options, ImageShape shape, OnnxInputNormalization normalization, EvaluationRows held,
                           EvaluationRows? bank, SimClrAugmentationOptions augmentation, int seed, Device device, double secondsBefore = 0)
    {
        _secondsBefore = secondsBefore;
        if (held.Count < 2) throw new InvalidOperationException($"Evaluation needs at least 2 held-out images; found {held.Count}.");
        _spent.Start();
        _options = options;
        _shape = shape;
        _normalization = normalization;
        _heldLabels = held.Labels;
        // A bank is useful only when both sides have labels.
        bool useBank = bank is { Labels: not null, Count: > 0 } && held.Labels != null;
        _bankLabels = useBank ? bank!.Labels : null;
        _held = tensor(held.Pixels, new long[] { held.Count, shape.Channels, shape.Height, shape.Width }).to(device);
        _bank = useBank ? tensor(bank!.Pixels, new long[] { bank.Count, shape.Channels, shape.Height, shape.Width }).to(device) : null;
        using (var generator = new Generator((ulong)unchecked((uint)seed ^ 0x5EED_E7A1u), device))
        using (NewDisposeScope())
        {
            var augmenter = new ViewAugmenter(augmentation, shape);
            // The augmenter works on [0, 1] images; the views go back to raw pixels so that they pass through the same normalisation.
            Tensor unit = _held.narrow(0, 0, Math.Min(AlignmentRows, _held.shape[0])).mul(normalization.Scale);
            _firstViews = augmenter.MakeView(unit, generator).div(normalization.Scale).MoveToOuterDisposeScope();
            _secondViews = augmenter.MakeView(unit, generator).div(normalization.Scale).MoveToOuterDisposeScope();
        }
        using (NewDisposeScope())
        {
            Func<Tensor, Tensor> flatten = raw => raw.reshape(raw.shape[0], -1).mul(normalization.Scale);
            _pixels = Measure(flatten, step: -1, seconds: 0, linear: true);
        }
        _spent.Stop();
    }

    /// <summary>Held-out images evaluated on.</summary>
    public int HeldOutRows => (int)_held.shape[0];

    /// <summary>Evaluations so far, in order.</summary>
    public IReadOnlyList<EvaluationPoint> Points => _points;

    /// <summary>The raw-pixel reference.</summary>
    public EvaluationPoint Pixels => _pixels;

    /// <summary>Seconds spent evaluating so far.</summary>
    public double Seconds => _secondsBefore + _spent.Elapsed.TotalSeconds;

    /// <summary>The latest evaluation; null before the first.</summary>
    public EvaluationPoint? Latest => _points.Count == 0 ? null : _points[^1];

    /// <summary>
    /// True when an evaluation is due after <paramref name="step"/> at <paramref name="elapsedSeconds"/> of training: every
    /// <see cref="OnlineEvaluationOptions.EverySteps"/> steps, or, spaced by time, when the evaluations so far plus one more
    /// (costed at the mean of those so far) stay within <see cref="OnlineEvaluationOptions.MaxTimeFraction"/> of the time.
    /// </summary>
    public bool IsDue(long step, double elapsedSeconds)
    {
        if (_options.EverySteps is int every) return step % every == 0;
        if (_points.Count == 0) return true;
        double meanCost = Seconds / (_points.Count + 1); // the pixel reference counts as one evaluation's cost
        return Seconds + meanCost <= _options.MaxTimeFraction * elapsedSeconds;
    }

    /// <summary>
    /// Evaluates <paramref name="encoder"/> (put in evaluation mode; the caller restores training mode) after
    /// <paramref name="step"/> steps; <paramref name="linear"/> adds the linear probe (the first and the last evaluation).
    /// The first evaluation is the random-init reference the later ones are checked against.
    /// </summary>
    public EvaluationPoint Evaluate(nn.Module<Tensor, Tensor> encoder, long step, double seconds, bool linear)
    {
        _spent.Start();
        try
        {
            encoder.eval();
            EvaluationPoint point;
            using (no_grad())
            using (NewDisposeScope())
            {
                point = Measure(raw => encoder.call(_normalization.Apply(raw, _shape.Channels, _shape.Height, _shape.Width)), step, seconds, linear);
            }
            if (_points.Count > 0) point = point with { Warning = TrainingHealth.Check(_points[0], point, HeldOutRows) };
            _points.Add(point);
            return point;
        }
        finally
        {
            _spent.Stop();
        }
    }

    /// <summary>The report of every evaluation so far (at least the random-init one).</summary>
    public EvaluationReport Report() => new()
    {
        Neighbors = _options.Neighbors,
        KnnMetric = "cosine similarity, majority vote" + (_heldLabels != null && _bank is null ? ", leave-one-out on the held-out images" : ", bank of labelled training images"),
        HeldOutRows = HeldOutRows,
        BankRows = _bank is null ? 0 : (int)_bank.shape[0],
        HasLabels = _heldLabels != null,
        Pixels = _pixels,
        Points = _points.ToList(),
        Seconds = Seconds,
    };

    private EvaluationPoint Measure(Func<Tensor, Tensor> embed, long step, double seconds, bool linear)
    {
        Tensor held = EmbedAll(embed, _held);
        Tensor? bank = _bank is null ? null : EmbedAll(embed, _bank);
        double? knn = null, linearAccuracy = null;
        if (_heldLabels != null)
        {
            knn = bank is not null
                ? EmbeddingMetrics.KnnAccuracy(bank, _bankLabels!, held, _heldLabels, _options.Neighbors)
                : EmbeddingMetrics.KnnAccuracy(held, _heldLabels, held, _heldLabels, _options.Neighbors, leaveOneOut: true);
            if (linear && bank is not null) linearAccuracy = RidgeClassifier.Accuracy(bank, _bankLabels!, held, _heldLabels);
        }
        return new EvaluationPoint
        {
            Step = step,
            TrainingSeconds = seconds,
            KnnAccuracy = knn,
            LinearAccuracy = linearAccuracy,
            Alignment = EmbeddingMetrics.Alignment(EmbedAll(embed, _firstViews), EmbedAll(embed, _secondViews)),
            Uniformity = EmbeddingMetrics.Uniformity(held),
            EffectiveRank = EmbeddingMetrics.EffectiveRank(held.narrow(0, 0, Math.Min(RankRows, held.shape[0]))),
        };
    }

    private static Tensor EmbedAll(Func<Tensor, Tensor> embed, Tensor images)
    {
        var parts = new List<Tensor>();
        for (long start = 0; start < images.shape[0]; start += EmbedBatchSize)
        {
            parts.Add(embed(images.narrow(0, start, Math.Min(EmbedBatchSize, images.shape[0] - start))));
        }
        return parts.Count == 1 ? parts[0] : cat(parts, 0);
    }

    public void Dispose()
    {
        _held.Dispose();
        _bank?.Dispose();
        _firstViews.Dispose();
        _secondViews.Dispose();
    }
}
