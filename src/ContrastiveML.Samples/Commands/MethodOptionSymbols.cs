using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using ContrastiveML.Methods;
using ContrastiveML.Methods.CommandLine;

namespace ContrastiveML.Samples.Commands;

/// <summary>
/// The method options one command offers, made from the method registry: one parser option per
/// <see cref="MethodCliOption"/> that some method takes in the command, its help naming those methods and its default.
/// A method added to the registry brings its options to the commands with no change here.
/// </summary>
internal sealed class MethodOptionSymbols
{
    private readonly List<(MethodCliOption Spec, Option Symbol)> _options = new();

    /// <param name="command">The command (one of <see cref="MethodCommands"/>).</param>
    /// <param name="defaultDescriptions">
    /// How the command itself describes the default of some options (by name), e.g. a value it chooses from the data;
    /// null when the methods' defaults say it all.
    /// </param>
    public MethodOptionSymbols(MethodCommands command, IReadOnlyDictionary<string, string>? defaultDescriptions = null)
    {
        List<MethodDescriptor> methods = MethodRegistry.All().ToList();
        var byOption = new List<(MethodCliOption Spec, List<(MethodDescriptor Method, MethodCliBinding Binding)> Takers)>();
        foreach (MethodDescriptor method in methods)
        {
            foreach (MethodCliBinding binding in method.CommandLine.OptionsOf(command))
            {
                var entry = byOption.FirstOrDefault(o => o.Spec.Name == binding.Option.Name);
                if (entry.Spec == null) byOption.Add(entry = (binding.Option, new()));
                else if (!ReferenceEquals(entry.Spec, binding.Option))
                    throw new InvalidOperationException($"Two method options are named {binding.Option.Name}; a shared option is declared once.");
                entry.Takers.Add((method, binding));
            }
        }
        foreach ((MethodCliOption spec, var takers) in byOption)
        {
            object?[] defaults = takers.Select(t => t.Binding.DefaultFor(command)).ToArray();
            // One default for every method that takes it: the parser shows it as [default: ...]; otherwise the help lists them.
            object? shared = defaults.Distinct().Count() == 1 ? defaults[0] : null;
            string methodsPrefix = takers.Count == methods.Count ? "" : string.Join(", ", takers.Select(t => t.Method.CliName)) + ": ";
            string? defaultText = defaultDescriptions?.GetValueOrDefault(spec.Name)
                ?? (shared == null && defaults.Any(d => d != null)
                    ? string.Join(", ", takers.Where(t => t.Binding.DefaultFor(command) != null).Select(t => $"{Format(t.Binding.DefaultFor(command)!)} for {t.Method.CliName}"))
                    : shared == null ? spec.DefaultDescription : null);
            string description = methodsPrefix + spec.Description + (defaultText == null ? "" : $" Default: {defaultText}.");
            _options.Add((spec, Create(spec, description, shared)));
        }
    }

    /// <summary>
    /// The <c>--method</c> option of <paramref name="command"/>: the registry's methods as the accepted values, each
    /// described by its descriptor's summary, SimCLR by default; <paramref name="labelsNote"/> ends the help (where the
    /// command finds labels for the methods that use them).
    /// </summary>
    public static Option<string> MethodOption(MethodCommands command, string labelsNote)
    {
        List<MethodDescriptor> methods = MethodRegistry.All().ToList();
        IEnumerable<string> described = methods.Select(m => m.SummaryFor(command) is { Length: > 0 } summary ? $"{m.CliName} ({summary})" : m.CliName);
        var option = new Option<string>("--method")
        {
            Description = $"Pretraining method: {string.Join(", ", described)}. {labelsNote}",
            DefaultValueFactory = _ => MethodRegistry.BuiltIn[0].CliName,
        };
        option.AcceptOnlyFromAmong(methods.Select(m => m.CliName).ToArray());
        return option;
    }

    /// <summary>The parser options, to add to the command.</summary>
    public IEnumerable<Option> Options => _options.Select(o => o.Symbol);

    /// <summary>The method options given on the command line (those left out have no entry: the methods' defaults apply).</summary>
    public MethodCliValues Given(ParseResult parse)
    {
        var values = new MethodCliValues();
        foreach ((MethodCliOption spec, Option symbol) in _options)
        {
            if (parse.GetResult(symbol) is OptionResult { Implicit: false } result) values.Set(spec, Value(result, spec));
        }
        return values;
    }

    /// <summary>
    /// Refuses a given option that <paramref name="method"/> does not take in <paramref name="command"/>, naming the option, the
    /// methods that take it and the method found.
    /// </summary>
    public static void CheckTakenBy(MethodCommands command, MethodDescriptor method, MethodCliValues given)
    {
        foreach (string name in given.Names)
        {
            if (method.CommandLine.OptionsOf(command).Any(b => b.Option.Name == name)) continue;
            IEnumerable<string> takers = MethodRegistry.All().Where(m => m.CommandLine.OptionsOf(command).Any(b => b.Option.Name == name)).Select(m => m.CliName);
            throw new ArgumentException($"{name} applies to --method {string.Join(" or ", takers)}; found --method {method.CliName}.");
        }
    }

    private static object? Value(OptionResult result, MethodCliOption spec) => spec.ValueType switch
    {
        var t when t == typeof(double) => result.GetValueOrDefault<double?>(),
        var t when t == typeof(int) => result.GetValueOrDefault<int?>(),
        var t when t == typeof(bool) => result.GetValueOrDefault<bool>(),
        _ => result.GetValueOrDefault<string?>(),
    };

    private static Option Create(MethodCliOption spec, string description, object? shownDefault)
    {
        Option option = spec.ValueType switch
        {
            var t when t == typeof(double) => new Option<double?>(spec.Name) { DefaultValueFactory = shownDefault is double d ? _ => d : null },
            var t when t == typeof(int) => new Option<int?>(spec.Name) { DefaultValueFactory = shownDefault is int i ? _ => i : null },
            var t when t == typeof(bool) => new Option<bool>(spec.Name),
            _ => TextOption(spec, shownDefault as string),
        };
        option.Description = description;
        if (spec.HelpName != null) option.HelpName = spec.HelpName;
        return option;
    }

    private static Option<string?> TextOption(MethodCliOption spec, string? shownDefault)
    {
        var option = new Option<string?>(spec.Name) { DefaultValueFactory = shownDefault is string s ? _ => s : null };
        if (spec.AllowedValues != null) option.AcceptOnlyFromAmong(spec.AllowedValues.ToArray());
        return option;
    }

    private static string Format(object value) => value is int i ? i.ToString("N0", CultureInfo.InvariantCulture) : Convert.ToString(value, CultureInfo.InvariantCulture)!;
}
