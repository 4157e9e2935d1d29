namespace ContrastiveML.Methods.CommandLine;

/// <summary>The method options several methods take, declared once; each method lists the ones it takes in its descriptor.</summary>
internal static class MethodCliOptions
{
    /// <summary><c>--temperature</c>: the loss's temperature.</summary>
    public static MethodCliOption<double> Temperature { get; } = new("--temperature",
        "Temperature of the loss (NT-Xent, SupCon, InfoNCE, or the critic of CMC).")
    {
        DefaultDescription = "the estimator's",
    };

    /// <summary><c>--projection-dim</c>: the projection head's output size.</summary>
    public static MethodCliOption<int> ProjectionDim { get; } = new("--projection-dim",
        "Output size of the projection head, 0 for none (the loss on the embedding itself).")
    {
        DefaultDescription = "the estimator's: 128 for supcon, none for metric",
    };

    /// <summary><c>--crop-scale-min</c>: the smallest crop of the view augmentation.</summary>
    public static MethodCliOption<double> CropScaleMin { get; } = new("--crop-scale-min", "Smallest crop area fraction of the view augmentation.")
    {
        DefaultDescription = "the estimator's for the image shape",
    };

    /// <summary><c>--color-jitter</c>: the chance of brightness/contrast jitter per view.</summary>
    public static MethodCliOption<double> ColorJitter { get; } = new("--color-jitter",
        "Probability that a view gets brightness/contrast jitter, 0 for none.")
    {
        DefaultDescription = "the method's, 0.8 for 1-channel images; 0 for cmc",
    };

    /// <summary>
    /// <c>--crop-scale-min</c> for any method: changes the method's augmentation for the image shape (its own default,
    /// e.g. CMC's crop and flip) in that one field.
    /// </summary>
    public static MethodCliBinding CropScaleMinOf(MethodCommands commands) =>
        CropScaleMin.For<ContrastiveEncoderOptions>(commands, (options, crop, context) => Augmentation(options, context).CropScaleMin = crop);

    /// <summary><c>--color-jitter</c> for any method, as <see cref="CropScaleMinOf"/>.</summary>
    public static MethodCliBinding ColorJitterOf(MethodCommands commands) =>
        ColorJitter.For<ContrastiveEncoderOptions>(commands, (options, jitter, context) => Augmentation(options, context).ColorJitterProbability = jitter);

    // The augmentation the options hold, or a copy of the method's defaults for the shape, which then becomes theirs:
    // the estimator's own augmentation (none set) stays unless an option changes it.
    private static Augmentation.SimClrAugmentationOptions Augmentation(ContrastiveEncoderOptions options, MethodCliContext context) =>
        options.Augmentation ??= options.AugmentationFor(context.Shape);
}
