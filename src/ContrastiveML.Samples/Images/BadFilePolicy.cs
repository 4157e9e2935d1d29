namespace ContrastiveML.Samples.Images;

/// <summary>What a command does with a file in an image folder that does not decode as an image.</summary>
public enum BadFilePolicy
{
    /// <summary>Stop before training, naming every such file (the default: nothing is dropped unless asked).</summary>
    Fail,

    /// <summary>Report each such file by name and go on without it.</summary>
    Skip,
}
