using ContrastiveML.NativeKernels;
using static TorchSharp.torch;

namespace ContrastiveML.Tests.NativeKernels;

/// <summary>The guard as it ran in this process (through <see cref="CheckedKernelsModule"/>): its configuration holds.</summary>
public class CpuKernelGuardTests
{
    [Fact]
    public void TheConfigurationTheGuardChosePassesTheSelfCheckAgain()
    {
        CpuKernelStatus status = CpuKernelGuard.EnsureVerified();
        Assert.True(status.Check.Passed);
        Assert.Same(status, CpuKernelGuard.Status);
        // Independent of the guard's own run: the kernels stay right for the rest of the process.
        KernelCheckResult again = KernelSelfCheck.Run();
        Assert.True(again.Passed, again.ToString());
    }

    [Fact]
    public void WhatTheGuardDecidedIsWhatNativeCodeSees()
    {
        CpuKernelStatus status = CpuKernelGuard.EnsureVerified();
        bool capped = status.OneDnnIsa.EndsWith("(capped by ContrastiveML)", StringComparison.Ordinal);
        bool userSet = status.OneDnnIsa.Contains("(set in the environment", StringComparison.Ordinal);
        // A CPU without cache topology is capped unless the user chose a cap; one with it never is.
        Assert.Equal(status.Facts.IsX86 && !status.Facts.ReportsCacheTopology && !userSet, capped);
        if (capped) Assert.Equal(CpuKernelPolicy.SafeIsa, NativeEnvironment.Get(CpuKernelPolicy.IsaVariable));
    }

    [Fact]
    public void TheFactsOfThisMachineAreRead()
    {
        CpuFacts facts = CpuFacts.Read();
        Assert.False(string.IsNullOrWhiteSpace(facts.Model));
        if (OperatingSystem.IsLinux())
        {
            bool listed = Directory.Exists("/sys/devices/system/cpu/cpu0/cache")
                && Directory.EnumerateDirectories("/sys/devices/system/cpu/cpu0/cache", "index*").Any();
            Assert.Equal(listed, facts.ReportsCacheTopology);
            Assert.Equal(File.ReadAllText("/proc/cpuinfo").Contains(" avx512f"), facts.ReportsAvx512);
        }
    }

    [Fact]
    public void NativeEnvironmentWritesReachTheCLibrary()
    {
        // .NET's own setter does not reach getenv on Linux; NativeEnvironment.Set must.
        string name = "CONTRASTIVEML_TEST_" + Guid.NewGuid().ToString("N");
        Assert.Null(NativeEnvironment.Get(name));
        NativeEnvironment.Set(name, "value 1");
        Assert.Equal("value 1", NativeEnvironment.Get(name));
        Assert.Equal("value 1", Environment.GetEnvironmentVariable(name));
    }

    [Fact]
    public void ConvolutionInputGradientsWithNarrowOutputsMatchTheReference()
    {
        // The operation that was wrong with oneDNN's AVX-512 and AVX2 kernels on a CPU without cache topology, at sizes
        // the self-check does not use: batch 16, 1->4 and 4->8 channels on 8x8 and 4x4 images, several times.
        var rng = new Random(5);
        foreach (var (n, cin, cout, side) in new[] { (16, 1, 4, 8), (16, 4, 8, 4), (32, 8, 4, 2) })
        for (int repeat = 0; repeat < 4; repeat++)
        {
            double[] x = Enumerable.Range(0, n * cin * side * side).Select(_ => rng.NextDouble() * 2 - 1).ToArray();
            double[] w = Enumerable.Range(0, cout * cin * 9).Select(_ => rng.NextDouble() - 0.5).ToArray();
            double[] dy = Enumerable.Range(0, n * cout * side * side).Select(_ => rng.NextDouble() * 2 - 1).ToArray();
            var (expected, _) = KernelReference.Conv2dBackward(dy, x, n, cin, side, side, w, cout, 3, 1);

            using var scope = NewDisposeScope();
            Tensor input = tensor(x.Select(v => (float)v).ToArray(), new long[] { n, cin, side, side }).requires_grad_(true);
            Tensor weight = tensor(w.Select(v => (float)v).ToArray(), new long[] { cout, cin, 3, 3 }).requires_grad_(true);
            Tensor output = nn.functional.conv2d(input, weight, padding: new long[] { 1, 1 });
            (output * tensor(dy.Select(v => (float)v).ToArray(), output.shape)).sum().backward();
            float[] actual = input.grad!.data<float>().ToArray();
            double scale = expected.Max(Math.Abs);
            double worst = expected.Select((e, i) => Math.Abs(actual[i] - e)).Max();
            Assert.True(worst <= 1e-3 * scale, $"n={n} {cin}->{cout} {side}x{side}: max |diff| {worst} (scale {scale})");
        }
    }
}
