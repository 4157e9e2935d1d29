using static TorchSharp.torch;

namespace ContrastiveML.Training;

/// <summary>Chooses the TorchSharp device from <see cref="TrainingDevice"/>.</summary>
internal static class TrainingDeviceSelector
{
    /// <summary>CUDA when requested (or Auto) and available; CPU otherwise. Cuda without a device is an error.</summary>
    public static Device Select(TrainingDevice requested)
    {
        bool cuda = TorchSharp.torch.cuda.is_available();
        return requested switch
        {
            TrainingDevice.Cpu => CPU,
            TrainingDevice.Cuda when !cuda => throw new InvalidOperationException(
                "Device = Cuda was requested but TorchSharp sees no CUDA device. Build with -p:ContrastiveBackend=cuda " +
                "(TorchSharp-cuda-linux) on a machine with an NVIDIA GPU and driver, or use Device = Auto / Cpu."),
            TrainingDevice.Cuda => CUDA,
            _ => cuda ? CUDA : CPU,
        };
    }
}
