using TorchSharp;
using static TorchSharp.torch;

namespace ContrastiveML.Training;

/// <summary>
/// Told when a <see cref="TrainingStep"/> reaches each <see cref="TrainingStepPhase"/>, after the device has finished the
/// work queued so far, so that a benchmark can time the parts of Fit's own step. Fit attaches none: without a probe the
/// step neither synchronises the device nor calls anything.
/// </summary>
internal interface ITrainingStepProbe
{
    /// <summary>Called once per phase and step, in the order of <see cref="TrainingStepPhase"/>.</summary>
    void Reached(TrainingStepPhase phase);
}

/// <summary>How the step and the methods report a phase to a probe that may be absent.</summary>
internal static class TrainingStepProbeMarks
{
    /// <summary>
    /// Tells <paramref name="probe"/> that <paramref name="phase"/> is reached, once a CUDA device has run everything
    /// queued before it (CUDA kernels run asynchronously, so the host's clock would otherwise time only their launch).
    /// Does nothing when <paramref name="probe"/> is null.
    /// </summary>
    public static void Mark(this ITrainingStepProbe? probe, TrainingStepPhase phase, Device device)
    {
        if (probe is null) return;
        if (device.type == DeviceType.CUDA) cuda.synchronize();
        probe.Reached(phase);
    }
}
