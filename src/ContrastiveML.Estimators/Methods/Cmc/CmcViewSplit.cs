namespace ContrastiveML;

/// <summary>How <see cref="CmcEstimator"/> splits an image into the views that CMC contrasts (one encoder per view).</summary>
public enum CmcViewSplit
{
    /// <summary><see cref="LuminanceChroma"/> for 3-channel images, <see cref="TwoFrequencyBands"/> for 1-channel images; other channel counts are an error.</summary>
    Auto,

    /// <summary>3-channel sRGB only: the L* channel and the (a*, b*) channels of CIE Lab, the paper's ImageNet views.</summary>
    LuminanceChroma,

    /// <summary>3-channel sRGB only: L*, a* and b* as three 1-channel views (the paper's "L, a, b" split, for the core-view and full-graph objectives).</summary>
    LabChannels,

    /// <summary>
    /// 1-channel only: a low-pass view (Gaussian blur) and the high-pass residual (image minus the blur). Like L and ab,
    /// the two views are complementary parts of the input that sum back to it: the low band holds silhouette and shading,
    /// the high band edges and texture, and what they share is the object's identity.
    /// </summary>
    TwoFrequencyBands,

    /// <summary>1-channel only: low (blur at 2σ), middle (blur at σ minus blur at 2σ) and high (image minus blur at σ) bands, three views that sum back to the image.</summary>
    ThreeFrequencyBands,
}
