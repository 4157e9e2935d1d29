using System.Collections.Concurrent;

namespace ContrastiveML.Methods;

/// <summary>
/// The pretraining methods: the seven the library ships, in the order of the probe table (the command line, the
/// benchmark and the conformance tests list them from here), and any registered at run time, which the generic catalog
/// entry <see cref="ContrastiveCatalog.ContrastiveEncoder{TOptions}"/> then builds like the library's own.
/// </summary>
internal static class MethodRegistry
{
    private static readonly ConcurrentDictionary<Type, MethodDescriptor> Registered = new();

    /// <summary>The library's methods, in the order of the probe table.</summary>
    public static IReadOnlyList<MethodDescriptor> BuiltIn { get; } = new MethodDescriptor[]
    {
        SimClr.SimClrDescriptor.Instance,
        SupCon.SupConDescriptor.Instance,
        MetricLearning.MetricLearningDescriptor.Instance,
        MoCo.MoCoDescriptor.Instance,
        DenseCl.DenseClDescriptor.Instance,
        Cmc.CmcDescriptor.Instance,
        Supervised.SupervisedPretrainingDescriptor.Instance,
    };

    /// <summary>
    /// Registers a method whose options type no method has yet; registering the same descriptor again does nothing.
    /// </summary>
    /// <exception cref="ArgumentException">Another method already takes the options type or the command-line name.</exception>
    public static void Register(MethodDescriptor descriptor)
    {
        ArgumentNullException.ThrowIfNull(descriptor);
        lock (Registered)
        {
            MethodDescriptor? existing = Find(descriptor.OptionsType);
            if (ReferenceEquals(existing, descriptor)) return;
            if (existing != null)
                throw new ArgumentException($"{descriptor.OptionsType.Name} is already the options type of the {existing.DisplayName} method.", nameof(descriptor));
            if (FindByCliName(descriptor.CliName) is MethodDescriptor sameName)
                throw new ArgumentException($"The command-line name '{descriptor.CliName}' is already the {sameName.DisplayName} method's.", nameof(descriptor));
            Registered[descriptor.OptionsType] = descriptor;
        }
    }

    /// <summary>The method whose options type is exactly <paramref name="optionsType"/>; null when none is.</summary>
    public static MethodDescriptor? Find(Type optionsType) =>
        BuiltIn.FirstOrDefault(d => d.OptionsType == optionsType) ?? Registered.GetValueOrDefault(optionsType);

    /// <summary>The method of options type <typeparamref name="TOptions"/>.</summary>
    /// <exception cref="ArgumentException">No method takes that options type.</exception>
    public static MethodDescriptor<TOptions> Get<TOptions>() where TOptions : ContrastiveEncoderOptions, new() =>
        Find(typeof(TOptions)) as MethodDescriptor<TOptions> ?? throw new ArgumentException(
            $"No pretraining method takes {typeof(TOptions).Name}; the methods take {string.Join(", ", All().Select(d => d.OptionsType.Name))}. " +
            "A new method registers its descriptor with MethodRegistry.Register first.", nameof(TOptions));

    /// <summary>The method whose options are of <paramref name="options"/>' exact type.</summary>
    /// <exception cref="ArgumentException">No method takes that options type.</exception>
    public static MethodDescriptor For(ContrastiveEncoderOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return Find(options.GetType()) ?? throw new ArgumentException(
            $"No pretraining method takes {options.GetType().Name}; the methods take {string.Join(", ", All().Select(d => d.OptionsType.Name))}.", nameof(options));
    }

    /// <summary>The method named <paramref name="cliName"/> on the command line; null when none is.</summary>
    public static MethodDescriptor? FindByCliName(string cliName) => All().FirstOrDefault(d => d.CliName == cliName);

    /// <summary>The library's methods, then those registered at run time.</summary>
    public static IEnumerable<MethodDescriptor> All() => BuiltIn.Concat(Registered.Values);
}
