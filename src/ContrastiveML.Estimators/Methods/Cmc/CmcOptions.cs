using ContrastiveML.Augmentation;
using ContrastiveML.Encoders;
using ContrastiveML.Methods.Cmc;

namespace ContrastiveML;

/// <summary>
/// Options of <see cref="CmcEstimator"/>: Contrastive Multiview Coding (Tian, Krishnan and Isola, "Contrastive
/// Multiview Coding", ECCV 2020). Each image is split into views (Lab's L and ab for colour images, frequency bands for
/// gray ones), each view has its own encoder, and a contrastive loss pulls together the views of one image and pushes
/// apart views of different images. The embedding is the concatenation of the view encoders' pooled features.
/// </summary>
/// <remarks>
/// <para><see cref="ContrastiveEncoderOptions.EncoderWidth"/> is the width of each view's encoder; 0 picks half the
/// encoder's default (16 for CompactCnn, 32 for ResNet18), as the paper halves each view's network so that the
/// concatenated L and ab encoders are about the size of one full encoder. The embedding has ViewCount x (one view's
/// embedding) values.</para>
/// <para>The pixels feed the view split in [0, 1] (<see cref="ContrastiveEncoderOptions.PixelScale"/> only; no
/// per-channel mean and standard deviation in front, since the Lab conversion needs sRGB values); each view is
/// normalised inside the encoder, and the exported ONNX graph contains the same split.</para>
/// </remarks>
public sealed class CmcOptions : ContrastiveEncoderOptions
{
    /// <summary>How images are split into views; <see cref="CmcViewSplit.Auto"/> (default): L | ab for 3 channels, low | high frequency bands for 1 channel.</summary>
    public CmcViewSplit ViewSplit = CmcViewSplit.Auto;

    /// <summary>Which view pairs are contrasted when there are more than two views; the default is the full graph (every pair).</summary>
    public CmcObjective Objective = CmcObjective.FullGraph;

    /// <summary>Temperature τ of the critic exp(cos(u, v) / τ); the paper uses 0.07.</summary>
    public double Temperature = 0.07;

    /// <summary>Where negatives come from; the paper uses a memory bank (default), <see cref="CmcNegatives.Batch"/> uses the batch.</summary>
    public CmcNegatives Negatives = CmcNegatives.MemoryBank;

    /// <summary>The paper's bank: 16,384 negatives per anchor.</summary>
    public const int PaperMemoryBankSize = 16_384;

    /// <summary>
    /// Negatives per anchor with <see cref="CmcNegatives.MemoryBank"/>: the bank holds the projections of this many recent
    /// images per view. Null (default): the paper's 16,384, at most a tenth of the training rows and at least BatchSize,
    /// chosen by Fit and logged. The bank holds <i>recent</i> images, so an anchor meets an older copy of itself among its
    /// negatives with probability about K / rows: 1.3% for the paper's 16,384 of ImageNet's 1.28 million images, 27% for
    /// 16,384 of Fashion-MNIST's 60,000, hence the cap. A value given here is used as is: at least BatchSize, and at most
    /// the number of training rows (Fit fails before training otherwise).
    /// </summary>
    public int? MemoryBankSize;

    /// <summary>Size of each view's linear projection to the contrast space (the paper's 128).</summary>
    public int ProjectionDim = 128;

    /// <summary>σ in pixels of the Gaussian that separates the frequency bands of 1-channel views; 0 (default) picks min(H, W) / 14 (2 pixels on 28x28).</summary>
    public double LowPassSigma;


    /// <summary>
    /// False (default, as the paper's code): one augmented copy per image, split into the views, so every view shows the
    /// same crop. True: each view is cut from its own augmented copy (its own crop and flip), so the views share less
    /// than the content of the image: the direction Tian et al. take in "What Makes for Good Views for Contrastive
    /// Learning?" (NeurIPS 2020, the InfoMin principle). On 1-channel images, where the views are two frequency bands of
    /// one picture, the shared crop leaves the encoders an easy, low-level match (edges in the high band sit where the
    /// low band changes); separate crops ask them to match the object instead. Costs one more augmentation per view.
    /// </summary>
    public bool AugmentViewsIndependently;

    /// <inheritdoc />
    internal override void Validate()
    {
        base.Validate();
        if (!Enum.IsDefined(ViewSplit)) throw new ArgumentOutOfRangeException(nameof(ViewSplit), ViewSplit, $"Option {nameof(ViewSplit)} must be a defined CmcViewSplit; found {ViewSplit}.");
        CmcViewSplitter.Resolve(ViewSplit, RequiredImageShape.Channels);
        Require(Enum.IsDefined(Objective), nameof(Objective), Objective, "FullGraph or CoreView");
        Require(Enum.IsDefined(Negatives), nameof(Negatives), Negatives, "MemoryBank or Batch");
        Require(Temperature > 0 && double.IsFinite(Temperature), nameof(Temperature), Temperature, "positive");
        Require(Negatives != CmcNegatives.MemoryBank || MemoryBankSize is not int bank || bank >= BatchSize, nameof(MemoryBankSize), MemoryBankSize,
                $"null (automatic) or at least BatchSize ({BatchSize}) with memory-bank negatives, so one step's images fit in the bank");
        Require(ProjectionDim >= 1, nameof(ProjectionDim), ProjectionDim, "at least 1");
        Require(LowPassSigma >= 0 && double.IsFinite(LowPassSigma), nameof(LowPassSigma), LowPassSigma, "0 (automatic) or a positive number of pixels");
    }

    /// <summary>
    /// The bank size for a Fit over <paramref name="rows"/> rows in batches of <paramref name="batchSize"/>:
    /// <see cref="MemoryBankSize"/> when given, otherwise min(16,384, rows / 10), at least the batch size.
    /// </summary>
    internal int ResolveMemoryBankSize(long rows, int batchSize) =>
        MemoryBankSize ?? (int)Math.Max(batchSize, Math.Min(PaperMemoryBankSize, rows / 10));

    /// <summary>The width of each view's encoder.</summary>
    internal int ViewEncoderWidth => EncoderWidth > 0 ? EncoderWidth : Encoder switch
    {
        EncoderKind.ResNet18 => ResNet18Encoder.DefaultWidth / 2,
        _ => CompactCnnEncoder.DefaultWidth / 2,
    };

    /// <summary>The augmentation to use for <paramref name="shape"/>.</summary>
    internal override SimClrAugmentationOptions AugmentationFor(ImageShape shape) => Augmentation ?? new SimClrAugmentationOptions
    {
        CropScaleMin = shape.Channels == 1 ? 0.4 : 0.2,
        HorizontalFlipProbability = 0.5,
        ColorJitterProbability = 0,
        GrayscaleProbability = 0,
        BlurProbability = 0,
    };
}
