using ContrastiveML.Data;
using ContrastiveML.Encoders;
using Microsoft.ML.Runtime;

namespace ContrastiveML.Methods;

/// <summary>
/// What Fit knows when it creates a method (under its initialisation lock, after the data was scanned and checked):
/// the options, the encoder, the data's size and statistics, the batch size and the label column.
/// </summary>
/// <typeparam name="TOptions">The method's options.</typeparam>
internal sealed class MethodBuildContext<TOptions> where TOptions : ContrastiveEncoderOptions
{
    private readonly IHostEnvironment _env;

    public MethodBuildContext(IHostEnvironment env, string methodName, TOptions options, ImageEncoder encoder, int seed,
                              PixelStatistics statistics, int batchSize, LabelColumn? labels)
    {
        _env = env;
        MethodName = methodName;
        Options = options;
        Encoder = encoder;
        Seed = seed;
        Statistics = statistics;
        BatchSize = batchSize;
        Labels = labels;
    }

    /// <summary>The method's display name, for log lines.</summary>
    public string MethodName { get; }

    /// <summary>The validated options.</summary>
    public TOptions Options { get; }

    /// <summary>The options' image shape.</summary>
    public ImageShape Shape => Options.RequiredImageShape;

    /// <summary>The encoder whose embedding is exported (the method trains it; Fit owns it).</summary>
    public ImageEncoder Encoder { get; }

    /// <summary>The Fit's seed.</summary>
    public int Seed { get; }

    /// <summary>The training data's row count and per-channel statistics.</summary>
    public PixelStatistics Statistics { get; }

    /// <summary>Images per batch (the options' batch size, or the row count when the data is smaller).</summary>
    public int BatchSize { get; }

    /// <summary>The label column, its <see cref="LabelColumn.ClassCount"/> known; null when the method reads none.</summary>
    public LabelColumn? Labels { get; }

    /// <summary>Writes an information line to the MLContext log, on a channel named <paramref name="topic"/>.</summary>
    public void Info(string topic, string message)
    {
        using IChannel channel = _env.Register(MethodName).Start(topic);
        channel.Info(MessageSensitivity.None, message);
    }

    /// <summary>Writes a warning to the MLContext log, on a channel named <paramref name="topic"/>.</summary>
    public void Warning(string topic, string message)
    {
        using IChannel channel = _env.Register(MethodName).Start(topic);
        channel.Warning(MessageSensitivity.None, message);
    }

    /// <summary>
    /// For a log line: why a size the user left to the estimator (<paramref name="given"/> false) came out as
    /// <paramref name="size"/>: the paper's <paramref name="paperSize"/>, or less, for the reason
    /// <paramref name="whySmaller"/> (which continues "the paper's N ..."); empty when the user gave the size.
    /// </summary>
    public static string DefaultSizeReason(string option, bool given, int size, int paperSize, string whySmaller) =>
        given ? ""
        : size < paperSize ? $" ({option} = null: the paper's {paperSize:N0} {whySmaller})"
        : $" ({option} = null: the paper's size)";
}
