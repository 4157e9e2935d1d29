namespace ContrastiveML;

/// <summary>Which pairs of views CMC contrasts when there are more than two (Tian, Krishnan and Isola 2020, §3.3); with two views both are the same.</summary>
public enum CmcObjective
{
    /// <summary>Every pair of views: L = Σ_{i&lt;j} L(V_i, V_j) (the paper's "full graph").</summary>
    FullGraph,

    /// <summary>The first view against each other one: L = Σ_{j&gt;1} L(V_1, V_j) (the paper's "core view").</summary>
    CoreView,
}
