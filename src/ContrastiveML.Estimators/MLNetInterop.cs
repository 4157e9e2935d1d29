using System.Reflection;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;

namespace ContrastiveML;

/// <summary>
/// The three places where code outside the ML.NET repository needs a member ML.NET keeps internal. Each is reached
/// by reflection against the pinned ML.NET version and covered by a test, so an ML.NET upgrade that moves one fails
/// loudly in the suite rather than silently at a user's site.
/// </summary>
internal static class MLNetInterop
{
    private static readonly ConstructorInfo ColumnConstructor =
        typeof(SchemaShape.Column).GetConstructors(BindingFlags.NonPublic | BindingFlags.Public | BindingFlags.Instance)
            .Single(c => c.GetParameters().Length == 5);

    /// <summary>
    /// The environment behind a catalog (MLContext.Transforms), so that an estimator made from
    /// <c>mlContext.Transforms.SimClr(...)</c> logs to that MLContext and sees its CancelExecution.
    /// </summary>
    public static IHostEnvironment GetEnvironment(TransformsCatalog catalog)
    {
        PropertyInfo? property = typeof(TransformsCatalog)
            .GetProperties(BindingFlags.NonPublic | BindingFlags.Instance)
            .FirstOrDefault(p => typeof(IHostEnvironment).IsAssignableFrom(p.PropertyType));
        object? env = property?.GetValue(catalog);
        return env as IHostEnvironment ?? throw new InvalidOperationException(
            "This ML.NET version does not expose the catalog's environment where ContrastiveML expects it; use the estimator's MLContext constructor.");
    }

    /// <summary>True once MLContext.CancelExecution() was called on <paramref name="env"/> (ICancelable is internal to ML.NET).</summary>
    public static bool IsCanceled(IHostEnvironment env)
    {
        PropertyInfo? property = env.GetType().GetInterfaces()
            .FirstOrDefault(i => i.Name == "ICancelable")?.GetProperty("IsCanceled");
        return property != null && (bool)property.GetValue(env)!;
    }

    /// <summary>A schema-shape column for a known-size float vector (SchemaShape.Column's constructor is internal).</summary>
    public static SchemaShape.Column KnownSizeSingleVector(string name)
    {
        return (SchemaShape.Column)ColumnConstructor.Invoke(new object?[]
        {
            name, SchemaShape.Column.VectorKind.Vector, NumberDataViewType.Single, false, null,
        });
    }
}
