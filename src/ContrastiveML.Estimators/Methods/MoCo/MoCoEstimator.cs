using ContrastiveML.Data;
using ContrastiveML.Encoders;
using ContrastiveML.Methods.MoCo;
using ContrastiveML.Training;
using Microsoft.ML;
using Microsoft.ML.Runtime;

namespace ContrastiveML;

/// <summary>
/// Pretrains an image encoder with MoCo v2 (momentum contrast with an MLP head; Chen, Fan, Girshick, He 2020) on the
/// images of an IDataView, without labels, and returns a transformer that writes the query encoder's embedding. Create
/// it with <see cref="ContrastiveCatalog.MoCo(TransformsCatalog, string, string, ImageShape, EncoderKind, int, int)"/>.
/// </summary>
/// <remarks>
/// Fit logs the queue size it uses (and why, when <see cref="MoCoOptions.QueueSize"/> is null) and warns when the queue
/// is at least as long as the data. Training checkpoints hold the query and key encoders and heads (parameters and
/// buffers), the queue and its pointer, so a resumed Fit continues exactly. Progress reports carry
/// <c>positiveSimilarity</c>: the mean cosine similarity of a query and its key.
/// </remarks>
public sealed class MoCoEstimator : ContrastiveEncoderEstimator<MoCoOptions>
{
    /// <summary>Creates the estimator for <paramref name="mlContext"/> (its log receives progress; its CancelExecution stops Fit).</summary>
    public MoCoEstimator(MLContext mlContext, MoCoOptions options)
        : this((IHostEnvironment)mlContext, options)
    {
    }

    internal MoCoEstimator(IHostEnvironment env, MoCoOptions options)
        : base(env, options, "MoCo")
    {
    }

    /// <summary>Without the data's size the queue is the paper's 65,536 keys (or QueueSize); Fit uses the overload that knows it.</summary>
    private protected override IContrastiveMethod CreateMethod(ImageEncoder encoder, int seed) =>
        CreateMoCo(encoder, Options.QueueSize ?? MoCoOptions.PaperQueueSize);

    private protected override IContrastiveMethod CreateMethod(ImageEncoder encoder, int seed, PixelStatistics statistics, int batchSize, LabelColumn? labels)
    {
        int queueSize = Options.ResolveQueueSize(statistics.RowCount, batchSize);
        LogQueueSize(Environment, MethodName, Options, queueSize, statistics.RowCount);
        return CreateMoCo(encoder, queueSize);
    }

    /// <summary>
    /// Logs the queue size a Fit uses, with the reason when it was chosen automatically, and warns when the queue is at
    /// least as long as the data (it then holds each image's own earlier key as a negative). Shared with methods built on MoCo.
    /// </summary>
    internal static void LogQueueSize(IHostEnvironment env, string methodName, MoCoOptions options, int queueSize, long rows)
    {
        using IChannel channel = env.Register(methodName).Start("Queue");
        string why = DefaultSizeReason(nameof(MoCoOptions.QueueSize), options.QueueSize is not null, queueSize, MoCoOptions.PaperQueueSize,
            $"is more than half the {rows:N0} training rows; a queue longer than an epoch would hold each image's own earlier key as a negative");
        channel.Info(MessageSensitivity.None, $"{methodName}: a queue of {queueSize:N0} negative keys{why}.");
        if (queueSize >= rows)
        {
            channel.Warning(MessageSensitivity.None,
                $"{methodName}: the queue ({queueSize:N0} keys) is at least as long as the data ({rows:N0} rows), so it holds each image's " +
                "own key from its previous visit, which then counts as a negative of its own query. A QueueSize below the row count avoids that.");
        }
    }

    private MoCoMethod CreateMoCo(ImageEncoder encoder, int queueSize) =>
        WithKeyEncoder(Options, keyEncoder => new MoCoMethod(encoder, keyEncoder, Options, Options.ImageShape!, queueSize));

    /// <summary>
    /// Builds the key encoder the options describe and hands it to <paramref name="create"/> (MoCo's or a method built on
    /// it); the key encoder is disposed if <paramref name="create"/> throws. Called under Fit's initialisation lock: the
    /// key encoder's construction draws from libtorch's global generator (its weights are then overwritten with the
    /// query encoder's).
    /// </summary>
    internal static TMethod WithKeyEncoder<TMethod>(MoCoOptions options, Func<ImageEncoder, TMethod> create)
    {
        ImageEncoder keyEncoder = EncoderFactory.Create(options.Encoder, options.ImageShape!, options.EncoderWidth, options.EncoderPooling);
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
