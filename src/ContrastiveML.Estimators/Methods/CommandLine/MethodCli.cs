namespace ContrastiveML.Methods.CommandLine;

/// <summary>
/// A method on the command line, without a command-line library: the options it takes (each with its commands and
/// per-command defaults), what each command sets before them, and what <c>probe --json</c> records about it. The
/// sample CLI reads it from the method's descriptor, so adding a method adds nothing to the commands.
/// </summary>
internal abstract class MethodCli
{
    /// <summary>A method that takes no method option.</summary>
    public static MethodCli<TOptions> None<TOptions>() where TOptions : ContrastiveEncoderOptions, new() => new();

    /// <summary>The options the method takes, in the order they are applied.</summary>
    public abstract IReadOnlyList<MethodCliBinding> Options { get; }

    /// <summary>The options the method takes in <paramref name="command"/>.</summary>
    public IEnumerable<MethodCliBinding> OptionsOf(MethodCommands command) => Options.Where(b => b.AppliesTo(command));

    /// <summary>
    /// Sets <paramref name="options"/> as <paramref name="context"/>'s command wants it, then applies each option the
    /// method takes there: its value in <paramref name="given"/>, else the command's default, else nothing.
    /// </summary>
    /// <exception cref="ArgumentException">A given value the method cannot use; the message names the option.</exception>
    public void Apply(ContrastiveEncoderOptions options, MethodCliContext context, MethodCliValues given)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(given);
        ApplyCommandDefaults(options, context);
        foreach (MethodCliBinding binding in OptionsOf(context.Command))
        {
            if ((given.Find(binding.Option) ?? binding.DefaultFor(context.Command)) is object value) binding.Apply(options, value, context);
        }
    }

    /// <summary>What <c>probe --json</c> records about the method beyond the common figures (e.g. MoCo's queue); none by default.</summary>
    public abstract IEnumerable<KeyValuePair<string, object?>> Figures(ContrastiveEncoderOptions options, MethodCliValues given, long trainRows);

    /// <summary>A line the commands print about the method's resolved settings before training (e.g. CMC's bank size); null for none.</summary>
    public abstract string? Summary(ContrastiveEncoderOptions options, long trainRows);

    private protected abstract void ApplyCommandDefaults(ContrastiveEncoderOptions options, MethodCliContext context);
}

/// <summary>The command-line description of a method of options <typeparamref name="TOptions"/>.</summary>
internal sealed class MethodCli<TOptions> : MethodCli where TOptions : ContrastiveEncoderOptions, new()
{
    private readonly List<MethodCliBinding> _options = new();

    /// <param name="options">The options the method takes, applied in this order; an option is taken once.</param>
    public MethodCli(params MethodCliBinding[] options)
    {
        foreach (MethodCliBinding binding in options)
        {
            ArgumentNullException.ThrowIfNull(binding, nameof(options));
            if (_options.Any(b => b.Option.Name == binding.Option.Name))
                throw new ArgumentException($"{binding.Option.Name} is listed twice for {typeof(TOptions).Name}.", nameof(options));
            _options.Add(binding);
        }
    }

    /// <summary>
    /// Sets what a command wants before the options apply (e.g. the label column, or a setting that follows the batch
    /// size); nothing by default.
    /// </summary>
    public Action<TOptions, MethodCliContext>? CommandDefaults { get; init; }

    /// <summary>The method's figures for <c>probe --json</c>, from the resolved options, the given values and the training rows.</summary>
    public Func<TOptions, MethodCliValues, long, IEnumerable<KeyValuePair<string, object?>>>? ProbeFigures { get; init; }

    /// <summary>A line about the resolved settings, printed before training; null for none.</summary>
    public Func<TOptions, long, string?>? SettingsSummary { get; init; }

    public override IReadOnlyList<MethodCliBinding> Options => _options;

    public override IEnumerable<KeyValuePair<string, object?>> Figures(ContrastiveEncoderOptions options, MethodCliValues given, long trainRows) =>
        ProbeFigures?.Invoke(Cast(options), given, trainRows) ?? Enumerable.Empty<KeyValuePair<string, object?>>();

    public override string? Summary(ContrastiveEncoderOptions options, long trainRows) => SettingsSummary?.Invoke(Cast(options), trainRows);

    private protected override void ApplyCommandDefaults(ContrastiveEncoderOptions options, MethodCliContext context) =>
        CommandDefaults?.Invoke(Cast(options), context);

    private static TOptions Cast(ContrastiveEncoderOptions options) =>
        options as TOptions ?? throw new ArgumentException($"These command-line options set {typeof(TOptions).Name}; found {options.GetType().Name}.", nameof(options));
}
