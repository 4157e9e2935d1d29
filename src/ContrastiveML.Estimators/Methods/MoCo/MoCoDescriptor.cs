using ContrastiveML.Methods.CommandLine;
using ContrastiveML.Training;
using ContrastiveML.Encoders;

namespace ContrastiveML.Methods.MoCo;

/// <summary>MoCo v2 in the method registry: the queue sized from the data, and the key encoder built beside the query encoder.</summary>
internal static class MoCoDescriptor
{
    public static MethodDescriptor<MoCoOptions> Instance { get; } = new("moco", "MoCo", Create)
    {
            Summary = "MoCo v2, no labels",
        Estimator = (env, options) => new MoCoEstimator(env, options),
        Cli = MoCoCliOptions.Cli<MoCoOptions>(ProbeQueueSize, Array.Empty<MethodCliBinding>()),
    };

    /// <summary>The probe's queue: a quarter of the paper's 65,536, long enough for a 15-minute CPU run's batches of 256.</summary>
    public const int ProbeQueueSize = 16_384;

    private static IContrastiveMethod Create(MethodBuildContext<MoCoOptions> c)
    {
        int queueSize = c.Options.ResolveQueueSize(c.Statistics.RowCount, c.BatchSize);
        long rows = c.Statistics.RowCount;
        string why = MethodBuildContext<MoCoOptions>.DefaultSizeReason(nameof(MoCoOptions.QueueSize), c.Options.QueueSize is not null, queueSize, MoCoOptions.PaperQueueSize,
            $"is more than half the {rows:N0} training rows; a queue longer than an epoch would hold each image's own earlier key as a negative");
        c.Info("Queue", $"{c.MethodName}: a queue of {queueSize:N0} negative keys{why}.");
        if (queueSize >= rows)
        {
            c.Warning("Queue",
                $"{c.MethodName}: the queue ({queueSize:N0} keys) is at least as long as the data ({rows:N0} rows), so it holds each image's " +
                "own key from its previous visit, which then counts as a negative of its own query. A QueueSize below the row count avoids that.");
        }
        return WithKeyEncoder(c.Options, keyEncoder => new MoCoMethod(c.Encoder, keyEncoder, c.Options, c.Shape, queueSize));
    }

    /// <summary>
    /// Builds the key encoder the options describe and hands it to <paramref name="create"/> (MoCo's or a method built on
    /// it); the key encoder is disposed if <paramref name="create"/> throws. Called under Fit's initialisation lock: the
    /// key encoder's construction draws from libtorch's global generator (its weights are then overwritten with the
    /// query encoder's).
    /// </summary>
    internal static TMethod WithKeyEncoder<TMethod>(MoCoOptions options, Func<ImageEncoder, TMethod> create)
    {
        ImageEncoder keyEncoder = EncoderFactory.Create(options.Encoder, options.RequiredImageShape, options.EncoderWidth, options.EncoderPooling);
        try
        {
            return create(keyEncoder);
        }
        catch
        {
            keyEncoder.Dispose();
            throw;
        }
    }
}
