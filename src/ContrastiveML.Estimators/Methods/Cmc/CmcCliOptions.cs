using ContrastiveML.Methods.CommandLine;

namespace ContrastiveML.Methods.Cmc;

/// <summary>CMC's own command-line options.</summary>
internal static class CmcCliOptions
{
    /// <summary><c>--memory-bank</c>.</summary>
    public static MethodCliOption<int> MemoryBank { get; } = new("--memory-bank",
        "Negatives from a memory bank of this many recent images per view; 0 takes the negatives from the batch instead.")
    {
        DefaultDescription = "the paper's 16384, at most a tenth of the training images and at least a batch",
    };

    /// <summary><c>--independent-views</c>.</summary>
    public static MethodCliOption<bool> IndependentViews { get; } = new("--independent-views",
        "Cut each view from its own augmented copy of the image (own crop and flip) instead of one copy shared by the views (the paper's code).");
}
