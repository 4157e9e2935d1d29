using System.CommandLine;
using ContrastiveML.Samples.Images;

namespace ContrastiveML.Samples.Commands;

/// <summary>Options that more than one verb takes, made fresh per command (System.CommandLine symbols have one parent).</summary>
internal static class CommonOptions
{
    /// <summary><c>--on-bad-file skip|fail</c>.</summary>
    public static Option<BadFilePolicy> OnBadFile() => new("--on-bad-file")
    {
        Description = "What to do with files in the image folder that do not decode as images: fail (name them and stop) or skip (name them and go on).",
        DefaultValueFactory = _ => BadFilePolicy.Fail,
    };

    /// <summary>Steps between checkpoints unless <c>--checkpoint-every</c> says otherwise (the library's default).</summary>
    public const int DefaultCheckpointEvery = 500;

    /// <summary><c>--checkpoint-dir DIR</c>.</summary>
    public static Option<string?> CheckpointDirectory() => new("--checkpoint-dir")
    {
        HelpName = "DIR",
        Description = "Write training checkpoints here (every --checkpoint-every steps, at the end, and on Ctrl+C); " +
                      "a run started again with the same options resumes from the checkpoint it finds there.",
    };

    /// <summary><c>--checkpoint-every N</c>.</summary>
    public static Option<int> CheckpointEvery() => new("--checkpoint-every")
    {
        HelpName = "N",
        Description = "Optimiser steps between checkpoints (with --checkpoint-dir).",
        DefaultValueFactory = _ => DefaultCheckpointEvery,
    };

    /// <summary><c>--plots DIR</c>.</summary>
    public static Option<string?> Plots() => new("--plots")
    {
        HelpName = "DIR",
        Description = "Write pictures here: loss.png (training loss curve) and embeddings-pca.png (2-D PCA of embeddings, coloured by label).",
    };
}
