namespace ContrastiveML.Methods.CommandLine;

/// <summary>What a command knows when it builds a method's options from the command line.</summary>
/// <param name="Command">The command (one of <see cref="MethodCommands"/>).</param>
/// <param name="Shape">The images' shape (the augmentation's defaults depend on it).</param>
/// <param name="BatchSize">Images per batch (MoCo's shuffling-BatchNorm groups depend on it).</param>
/// <param name="LabelColumnName">The class-label column of the command's data, for the methods that read labels.</param>
internal sealed record MethodCliContext(MethodCommands Command, ImageShape Shape, int BatchSize, string LabelColumnName = "Label");
