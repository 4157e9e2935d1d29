using ContrastiveML.Data;
using ContrastiveML.Encoders;
using ContrastiveML.Methods.CommandLine;
using ContrastiveML.Training;
using Microsoft.ML;
using Microsoft.ML.Runtime;

namespace ContrastiveML.Methods;

/// <summary>
/// One pretraining method as the catalog, the command line, the benchmark and the tests see it: its names, its options
/// type and how Fit builds and checks it. The methods the library ships are listed in <see cref="MethodRegistry"/>.
/// </summary>
internal abstract class MethodDescriptor
{
    private protected MethodDescriptor(string cliName, string displayName)
    {
        CliName = cliName;
        DisplayName = displayName;
    }

    /// <summary>The command line's name, e.g. "simclr" (<c>--method simclr</c>).</summary>
    public string CliName { get; }

    /// <summary>The display name, e.g. "SimCLR": log lines, the progress report, the model's metadata, checkpoints.</summary>
    public string DisplayName { get; }

    /// <summary>
    /// What the method is, for the command line's <c>--method</c> help, e.g. "MoCo v2, no labels"; empty for none. Read
    /// through <see cref="SummaryFor"/>.
    /// </summary>
    public string Summary { get; init; } = "";

    /// <summary>How <c>pretrain</c> describes the method when it builds it differently from <c>probe</c>; null when <see cref="Summary"/> says it.</summary>
    public string? PretrainSummary { get; init; }

    /// <summary>The summary of the method as <paramref name="command"/> builds it.</summary>
    public string SummaryFor(MethodCommands command) => command == MethodCommands.Pretrain && PretrainSummary != null ? PretrainSummary : Summary;

    /// <summary>The options type; each registered method has its own.</summary>
    public abstract Type OptionsType { get; }

    /// <summary>The method's options with their defaults.</summary>
    public abstract ContrastiveEncoderOptions CreateOptions();

    /// <summary>The method on the command line: the options it takes, their per-command defaults, its probe figures.</summary>
    public abstract MethodCli CommandLine { get; }

    /// <summary>
    /// The method's options as a command builds them: the defaults, then what <paramref name="context"/>'s command
    /// sets, then the values in <paramref name="given"/> (or the command's defaults) of the options the method takes there.
    /// </summary>
    /// <exception cref="ArgumentException">A given value the method cannot use; the message names the option.</exception>
    public ContrastiveEncoderOptions CreateOptions(MethodCliContext context, MethodCliValues given)
    {
        ContrastiveEncoderOptions options = CreateOptions();
        CommandLine.Apply(options, context, given);
        return options;
    }

    /// <summary>Whether a Fit with <paramref name="options"/> reads class labels.</summary>
    public abstract bool UsesLabels(ContrastiveEncoderOptions options);

    /// <summary>The estimator of <paramref name="options"/> (of <see cref="OptionsType"/>).</summary>
    public abstract IEstimator<ContrastiveEncoderTransformer> CreateEstimator(IHostEnvironment env, ContrastiveEncoderOptions options);

    public override string ToString() => CliName;
}

/// <summary>A method with options <typeparamref name="TOptions"/>: what Fit needs to build, check and export it.</summary>
/// <typeparam name="TOptions">The method's options type.</typeparam>
internal sealed class MethodDescriptor<TOptions> : MethodDescriptor where TOptions : ContrastiveEncoderOptions, new()
{
    /// <param name="cliName">The command line's name.</param>
    /// <param name="displayName">The display name.</param>
    /// <param name="create">Creates the method for one Fit (called under Fit's initialisation lock).</param>
    public MethodDescriptor(string cliName, string displayName, Func<MethodBuildContext<TOptions>, IContrastiveMethod> create)
        : base(cliName, displayName)
    {
        Create = create ?? throw new ArgumentNullException(nameof(create));
    }

    /// <summary>Creates the method for one Fit (called under Fit's initialisation lock, after the data was checked).</summary>
    public Func<MethodBuildContext<TOptions>, IContrastiveMethod> Create { get; }

    /// <summary>The label column the method reads with these options; null (the default) for none.</summary>
    public Func<TOptions, string?> LabelColumn { get; init; } = _ => null;

    /// <summary>How the check of the label column (<see cref="ClassLabelCheck"/>) words its errors; needed with <see cref="LabelColumn"/>.</summary>
    public ClassLabelWording? LabelWording { get; init; }

    /// <summary>Rows per class in class-balanced batches; 0 (the default) for shuffled batches.</summary>
    public Func<TOptions, int> BalancedSamplesPerClass { get; init; } = _ => 0;

    /// <summary>
    /// Creates the exported encoder from the options and the data's statistics; null (the default) for the one backbone
    /// the options name. A method with a composite encoder (CMC's view split and per-view backbones) sets it.
    /// </summary>
    public Func<TOptions, PixelStatistics, ImageEncoder>? CreateEncoder { get; init; }

    /// <summary>
    /// Whether the encoder reads [0, 1] pixels and normalises them itself (CMC's view split): the Fit's normalisation is
    /// then the pixel scale alone, for training, the parity check and export alike.
    /// </summary>
    public bool ReadsUnitPixels { get; init; }

    /// <summary>Method-specific entries of the exported model's metadata_props (e.g. how the embedding is laid out); none by default.</summary>
    public Func<ImageEncoder, IEnumerable<KeyValuePair<string, string>>>? ExtraMetadata { get; init; }

    /// <summary>
    /// The column of an optional second output, the encoder's last feature map average-pooled to an S x S grid and
    /// flattened channel-major; null (the default) for none.
    /// </summary>
    public Func<TOptions, string?> DenseOutputColumn { get; init; } = _ => null;

    /// <summary>S, the side of the dense output's grid, for the options and the encoder; used only with <see cref="DenseOutputColumn"/>.</summary>
    public Func<TOptions, ImageEncoder, int> DenseOutputGridSize { get; init; } = (_, encoder) => DenseFeatureGrid.Resolve(null, encoder, "GridSize");

    /// <summary>Method-specific checks of the options against the data before training (e.g. a memory bank larger than the data); none by default.</summary>
    public Action<TOptions, PixelStatistics>? ValidateData { get; init; }

    /// <summary>
    /// Creates the estimator; null (the default) for <see cref="ContrastiveEncoderEstimator{TOptions}"/> itself. The
    /// library's methods create their public estimator classes (SimClrEstimator, ...), which add nothing but their name.
    /// </summary>
    public Func<IHostEnvironment, TOptions, ContrastiveEncoderEstimator<TOptions>>? Estimator { get; init; }

    /// <summary>The method on the command line; by default it takes no method option.</summary>
    public MethodCli<TOptions> Cli { get; init; } = MethodCli.None<TOptions>();

    public override MethodCli CommandLine => Cli;

    public override Type OptionsType => typeof(TOptions);

    public override ContrastiveEncoderOptions CreateOptions() => new TOptions();

    public override bool UsesLabels(ContrastiveEncoderOptions options) => LabelColumn(Cast(options)) != null;

    public override IEstimator<ContrastiveEncoderTransformer> CreateEstimator(IHostEnvironment env, ContrastiveEncoderOptions options) =>
        CreateEstimator(env, Cast(options));

    /// <summary>The estimator of <paramref name="options"/>.</summary>
    public ContrastiveEncoderEstimator<TOptions> CreateEstimator(IHostEnvironment env, TOptions options) =>
        Estimator?.Invoke(env, options) ?? new ContrastiveEncoderEstimator<TOptions>(env, options, this);

    private TOptions Cast(ContrastiveEncoderOptions options) =>
        options as TOptions ?? throw new ArgumentException(
            $"The {DisplayName} method takes {typeof(TOptions).Name}; found {options?.GetType().Name ?? "null"}.", nameof(options));
}
