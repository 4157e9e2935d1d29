using static TorchSharp.torch;

namespace ContrastiveML.Methods;

/// <summary>
/// State a method keeps besides its modules' parameters and buffers, such as MoCo's queue of negative keys or CMC's
/// memory bank: moved with the modules, written into the checkpoint after them, and disposed with the method.
/// </summary>
internal interface IMethodState : IDisposable
{
    /// <summary>Moves the state's tensors to <paramref name="device"/>.</summary>
    void MoveTo(Device device);

    /// <summary>Writes the state for a training checkpoint.</summary>
    void Save(BinaryWriter writer);

    /// <summary>Restores what <see cref="Save"/> wrote.</summary>
    void Load(BinaryReader reader);
}
