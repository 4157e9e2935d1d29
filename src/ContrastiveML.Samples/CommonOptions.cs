using System.CommandLine;
using ContrastiveML.Samples.Images;

namespace ContrastiveML.Samples;

/// <summary>Options that more than one verb takes, made fresh per command (System.CommandLine symbols have one parent).</summary>
internal static class CommonOptions
{
    /// <summary><c>--on-bad-file skip|fail</c>.</summary>
    public static Option<BadFilePolicy> OnBadFile() => new("--on-bad-file")
    {
        Description = "What to do with files in the image folder that do not decode as images: fail (name them and stop) or skip (name them and go on).",
        DefaultValueFactory = _ => BadFilePolicy.Fail,
    };

    /// <summary><c>--plots DIR</c>.</summary>
    public static Option<string?> Plots() => new("--plots")
    {
        HelpName = "DIR",
        Description = "Write pictures here: loss.png (training loss curve) and embeddings-pca.png (2-D PCA of embeddings, coloured by label).",
    };
}
