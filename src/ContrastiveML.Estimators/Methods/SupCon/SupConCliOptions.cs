using ContrastiveML.Methods.CommandLine;

namespace ContrastiveML.Methods.SupCon;

/// <summary>SupCon's own command-line options.</summary>
internal static class SupConCliOptions
{
    /// <summary><c>--views</c>.</summary>
    public static MethodCliOption<int> Views { get; } = new("--views",
        "Augmented views per image, 2 as in the paper or 1 (half the encoder work per image; the positives then come from the labels alone).")
    {
        DefaultDescription = "the estimator's 2",
    };

    /// <summary><c>--cross-entropy-weight</c>.</summary>
    public static MethodCliOption<double> CrossEntropyWeight { get; } = new("--cross-entropy-weight",
        "Weight w of an auxiliary cross-entropy term on a linear classifier over the embedding (loss = SupCon + w·CE; the classifier is dropped after training).")
    {
        DefaultDescription = "the estimator's 0, SupCon alone",
    };
}
