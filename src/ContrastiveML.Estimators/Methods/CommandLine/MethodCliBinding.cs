namespace ContrastiveML.Methods.CommandLine;

/// <summary>
/// How one method takes one <see cref="MethodCliOption"/>: the commands it takes it in, how the value sets its options,
/// and the default of each command (applied when the option is left out; none leaves the estimator's own default).
/// </summary>
internal abstract class MethodCliBinding
{
    private protected MethodCliBinding(MethodCliOption option, MethodCommands commands)
    {
        Option = option ?? throw new ArgumentNullException(nameof(option));
        if (commands == MethodCommands.None) throw new ArgumentException($"{option.Name}: name the commands that take it.", nameof(commands));
        Commands = commands;
    }

    /// <summary>The option.</summary>
    public MethodCliOption Option { get; }

    /// <summary>The commands in which the method takes the option.</summary>
    public MethodCommands Commands { get; }

    /// <summary>Whether the method takes the option in <paramref name="command"/>.</summary>
    public bool AppliesTo(MethodCommands command) => (Commands & command) != 0;

    /// <summary>The value used in <paramref name="command"/> when the option is left out; null for none.</summary>
    public abstract object? DefaultFor(MethodCommands command);

    /// <summary>Sets <paramref name="options"/> from <paramref name="value"/> (of the option's value type).</summary>
    internal abstract void Apply(ContrastiveEncoderOptions options, object value, MethodCliContext context);
}

/// <summary>How a method of options <typeparamref name="TOptions"/> takes an option of value type <typeparamref name="T"/>.</summary>
internal sealed class MethodCliBinding<TOptions, T> : MethodCliBinding where TOptions : ContrastiveEncoderOptions where T : notnull
{
    private readonly Action<TOptions, T, MethodCliContext> _apply;
    private readonly object?[] _defaults = new object?[2];

    internal MethodCliBinding(MethodCliOption<T> option, MethodCommands commands, Action<TOptions, T, MethodCliContext> apply) : base(option, commands)
    {
        _apply = apply ?? throw new ArgumentNullException(nameof(apply));
    }

    /// <summary>This binding with <paramref name="value"/> as <c>probe</c>'s value when the option is left out.</summary>
    public MethodCliBinding<TOptions, T> WithProbeDefault(T value) => WithDefault(0, value);

    /// <summary>This binding with <paramref name="value"/> as <c>pretrain</c>'s value when the option is left out.</summary>
    public MethodCliBinding<TOptions, T> WithPretrainDefault(T value) => WithDefault(1, value);

    public override object? DefaultFor(MethodCommands command) => command switch
    {
        MethodCommands.Probe => _defaults[0],
        MethodCommands.Pretrain => _defaults[1],
        _ => throw new ArgumentException($"Name one command; found {command}.", nameof(command)),
    };

    private MethodCliBinding<TOptions, T> WithDefault(int command, T value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var copy = new MethodCliBinding<TOptions, T>((MethodCliOption<T>)Option, Commands, _apply);
        _defaults.CopyTo(copy._defaults, 0);
        copy._defaults[command] = value;
        return copy;
    }

    internal override void Apply(ContrastiveEncoderOptions options, object value, MethodCliContext context)
    {
        if (options is not TOptions typed) throw new ArgumentException($"{Option.Name} sets {typeof(TOptions).Name}; found {options.GetType().Name}.", nameof(options));
        if (value is not T typedValue) throw new ArgumentException($"{Option.Name} takes a {typeof(T).Name}; found {value.GetType().Name} '{value}'.", nameof(value));
        _apply(typed, typedValue, context);
    }
}
