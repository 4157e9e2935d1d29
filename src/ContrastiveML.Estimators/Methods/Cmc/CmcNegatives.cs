namespace ContrastiveML;

/// <summary>Where CMC's negatives come from.</summary>
public enum CmcNegatives
{
    /// <summary>
    /// A memory bank per view: the L2-normalised projections of the most recent <see cref="CmcOptions.MemoryBankSize"/>
    /// images, kept without gradient and refreshed first-in first-out after every step. Each anchor is contrasted with
    /// its own image's other view and the whole bank of that view (1 + K candidates).
    /// </summary>
    MemoryBank,

    /// <summary>The other images of the batch (N candidates per anchor, one of them positive).</summary>
    Batch,
}
