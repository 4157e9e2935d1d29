namespace ContrastiveML.NativeKernels;

/// <summary>
/// The process-wide knobs <see cref="CpuKernelPolicy"/> turns: the native environment oneDNN reads when first used, and
/// libtorch's switches. An interface so tests can inject a machine and observe what the policy sets.
/// </summary>
internal interface ICpuKernelControls
{
    /// <summary>The value native code sees for <paramref name="name"/>, or null.</summary>
    string? GetEnvironment(string name);

    /// <summary>Sets <paramref name="name"/> where native code sees it.</summary>
    void SetEnvironment(string name, string value);

    /// <summary>Turns ATen's use of oneDNN off; false when this libtorch has no such switch.</summary>
    bool TryDisableOneDnn();

    /// <summary>Turns ATen's use of NNPACK off; false when this libtorch has no such switch.</summary>
    bool TryDisableNnpack();
}

/// <summary>The real process: <see cref="NativeEnvironment"/> and <see cref="LibTorchSwitches"/>.</summary>
internal sealed class ProcessCpuKernelControls : ICpuKernelControls
{
    public string? GetEnvironment(string name) => NativeEnvironment.Get(name);

    public void SetEnvironment(string name, string value) => NativeEnvironment.Set(name, value);

    public bool TryDisableOneDnn() => LibTorchSwitches.TrySetOneDnnEnabled(false);

    public bool TryDisableNnpack() => LibTorchSwitches.TrySetNnpackEnabled(false);
}
