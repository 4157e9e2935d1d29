using ContrastiveML.Methods.CommandLine;

namespace ContrastiveML.Methods.DenseCl;

/// <summary>DenseCL's own command-line options (it takes MoCo's too).</summary>
internal static class DenseClCliOptions
{
    /// <summary><c>--dense-weight</c>.</summary>
    public static MethodCliOption<double> DenseLossWeight { get; } = new("--dense-weight", "λ, the dense loss's share of the total (the paper's 0.5).");

    /// <summary><c>--grid-size</c>.</summary>
    public static MethodCliOption<int> GridSize { get; } = new("--grid-size", "Side S of the grid of dense features.")
    {
        DefaultDescription = "the paper's 7, or the feature map's side when smaller",
    };
}
