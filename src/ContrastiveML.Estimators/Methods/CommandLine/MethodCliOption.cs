namespace ContrastiveML.Methods.CommandLine;

/// <summary>
/// A command-line option that sets part of a method's options, described without a command-line library: the sample
/// CLI turns it into a parser option. Declared once (an option several methods take, such as <c>--temperature</c>, is
/// one object) and listed by each method that takes it, through a <see cref="MethodCliBinding"/> that says how it sets
/// that method's options, in which commands, and with which default.
/// </summary>
internal abstract class MethodCliOption
{
    private protected MethodCliOption(string name, string description)
    {
        if (string.IsNullOrEmpty(name) || !name.StartsWith("--", StringComparison.Ordinal))
            throw new ArgumentException($"An option name starts with '--'; found '{name}'.", nameof(name));
        Name = name;
        Description = description ?? throw new ArgumentNullException(nameof(description));
    }

    /// <summary>The name on the command line, e.g. "--temperature".</summary>
    public string Name { get; }

    /// <summary>What the option sets, as one sentence; the help adds the methods that take it and its default.</summary>
    public string Description { get; }

    /// <summary>The help's name for the value (e.g. "N"); null for the parser's own.</summary>
    public string? HelpName { get; init; }

    /// <summary>The accepted values of a text option; null when any value of <see cref="ValueType"/> is accepted.</summary>
    public IReadOnlyList<string>? AllowedValues { get; init; }

    /// <summary>
    /// How the help describes what happens when the option is left out and no method gives it a default, e.g.
    /// "the estimator's"; null to say nothing.
    /// </summary>
    public string? DefaultDescription { get; init; }

    /// <summary>The value's type: <see cref="double"/>, <see cref="int"/>, <see cref="bool"/> (a flag) or <see cref="string"/>.</summary>
    public abstract Type ValueType { get; }

    public override string ToString() => Name;
}

/// <summary>An option whose value is a <typeparamref name="T"/>: <see cref="double"/>, <see cref="int"/>, <see cref="bool"/> (a flag) or <see cref="string"/>.</summary>
internal sealed class MethodCliOption<T> : MethodCliOption where T : notnull
{
    /// <param name="name">The name on the command line, e.g. "--temperature".</param>
    /// <param name="description">What the option sets.</param>
    public MethodCliOption(string name, string description) : base(name, description)
    {
        if (typeof(T) != typeof(double) && typeof(T) != typeof(int) && typeof(T) != typeof(bool) && typeof(T) != typeof(string))
            throw new ArgumentException($"{name}: a method option's value is a double, int, bool or string; found {typeof(T).Name}.", nameof(T));
    }

    public override Type ValueType => typeof(T);

    /// <summary>How a method of options <typeparamref name="TOptions"/> takes this option in <paramref name="commands"/>.</summary>
    /// <param name="commands">The commands in which the method takes the option.</param>
    /// <param name="apply">Sets the method's options from the value (given, or the command's default).</param>
    public MethodCliBinding<TOptions, T> For<TOptions>(MethodCommands commands, Action<TOptions, T, MethodCliContext> apply)
        where TOptions : ContrastiveEncoderOptions => new(this, commands, apply);

    /// <summary>As <see cref="For{TOptions}(MethodCommands, Action{TOptions, T, MethodCliContext})"/>, for a setting that needs no context.</summary>
    public MethodCliBinding<TOptions, T> For<TOptions>(MethodCommands commands, Action<TOptions, T> apply)
        where TOptions : ContrastiveEncoderOptions => new(this, commands, (options, value, _) => apply(options, value));
}
