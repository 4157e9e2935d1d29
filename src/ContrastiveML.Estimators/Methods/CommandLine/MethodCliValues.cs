namespace ContrastiveML.Methods.CommandLine;

/// <summary>The method options given on a command line, by option name; an option left out has no entry.</summary>
internal sealed class MethodCliValues
{
    private readonly Dictionary<string, object> _values = new(StringComparer.Ordinal);

    /// <summary>No option given.</summary>
    public static MethodCliValues None => new();

    /// <summary>A copy, to change without changing these.</summary>
    public MethodCliValues Copy()
    {
        var copy = new MethodCliValues();
        foreach ((string name, object value) in _values) copy._values[name] = value;
        return copy;
    }

    /// <summary>The names of the options given.</summary>
    public IEnumerable<string> Names => _values.Keys;

    /// <summary>Records <paramref name="value"/> for <paramref name="option"/>; null removes it (left out).</summary>
    public MethodCliValues Set<T>(MethodCliOption<T> option, T? value) where T : notnull => Set(option, (object?)value);

    /// <summary>Records <paramref name="value"/> (of the option's value type) for <paramref name="option"/>; null removes it (left out).</summary>
    public MethodCliValues Set(MethodCliOption option, object? value)
    {
        ArgumentNullException.ThrowIfNull(option);
        if (value == null)
        {
            _values.Remove(option.Name);
            return this;
        }
        if (value.GetType() != option.ValueType)
            throw new ArgumentException($"{option.Name} takes a {option.ValueType.Name}; found {value.GetType().Name} '{value}'.", nameof(value));
        _values[option.Name] = value;
        return this;
    }

    /// <summary>The value given for <paramref name="option"/>; null when it was left out.</summary>
    public object? Find(MethodCliOption option) => _values.GetValueOrDefault(option.Name);

    /// <summary>The value given for <paramref name="option"/>, else <paramref name="fallback"/>.</summary>
    public T? Get<T>(MethodCliOption<T> option, T? fallback = default) where T : notnull =>
        _values.TryGetValue(option.Name, out object? value) ? (T)value : fallback;
}
