using System.CommandLine;
using ContrastiveML.Samples.Commands;

namespace ContrastiveML.Samples;

/// <summary>The <c>contrastiveml</c> command line: its verbs, built in one place so tests run the real parser.</summary>
internal static class Cli
{
    /// <summary>The root command with pretrain, embed, probe, bench and report.</summary>
    public static RootCommand CreateRoot() => new("ContrastiveML: contrastive self-supervised pretraining of image encoders inside ML.NET pipelines.")
    {
        PretrainCommand.Create(),
        EmbedCommand.Create(),
        ProbeCommand.Create(),
        BenchCommand.Create(),
        ReportCommand.Create(),
    };
}
