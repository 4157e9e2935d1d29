namespace ContrastiveML.Methods.CommandLine;

/// <summary>The command-line verbs that build a method's options from their arguments.</summary>
[Flags]
internal enum MethodCommands
{
    /// <summary>None.</summary>
    None = 0,

    /// <summary><c>probe</c>: pretrain on Fashion-MNIST, then linear-probe; its defaults suit a 15-minute CPU run.</summary>
    Probe = 1,

    /// <summary><c>pretrain</c>: pretrain on the user's images and save the model; the library's (the papers') defaults.</summary>
    Pretrain = 2,

    /// <summary>Both verbs.</summary>
    Both = Probe | Pretrain,
}
