using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ContrastiveML.Optimization;

/// <summary>Gradient housekeeping shared by this library's optimizers.</summary>
internal static class OptimizerGradients
{
    /// <summary>Sets every existing gradient to zero in place (as TorchSharp's optimizers do; none is set to null).</summary>
    public static void Zero(IEnumerable<Parameter> parameters)
    {
        // The grad getter hands out a new managed wrapper each time; the scope releases those wrappers.
        using var scope = NewDisposeScope();
        foreach (var p in parameters)
            p.grad?.zero_();
    }
}
