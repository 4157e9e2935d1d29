using System.Runtime.CompilerServices;
using ContrastiveML.NativeKernels;

namespace ContrastiveML.Tests.NativeKernels;

/// <summary>
/// Makes the library's own CPU kernel decision before any test runs a libtorch kernel, as a user's first Fit does.
/// </summary>
/// <remarks>
/// Tests run in parallel and some (augmentation, CMC's view splitters) call convolutions without building an encoder,
/// which is where the library checks. oneDNN fixes its ISA at its first use, so without this the configuration would
/// depend on which test happened to run first. This sets nothing itself: it runs <see cref="CpuKernelGuard"/>, and a
/// machine whose kernels fail the check fails the whole run here.
/// </remarks>
internal static class CheckedKernelsModule
{
    [ModuleInitializer]
    internal static void CheckKernelsFirst() => CpuKernelGuard.EnsureVerified();
}
