using ContrastiveML.NativeKernels;

namespace ContrastiveML.Tests.NativeKernels;

/// <summary>The decision of <see cref="CpuKernelPolicy"/> on made-up machines: what it sets, logs and throws.</summary>
public class CpuKernelPolicyTests
{
    private static readonly CpuFacts NoTopologyAvx512 = new("AMD EPYC (test)", IsX86: true, ReportsAvx512: true, ReportsCacheTopology: false);
    private static readonly CpuFacts ReportedTopology = new("Intel Xeon (test)", IsX86: true, ReportsAvx512: true, ReportsCacheTopology: true);
    private static readonly KernelCheckResult Pass = new(true, null, 1e-6, 1e-3, TimeSpan.FromMilliseconds(20));
    private static readonly KernelCheckResult Fail = new(false, "convolution 16->4 backward (input gradient)", 0.268, 2.96e-4, TimeSpan.FromMilliseconds(20));

    /// <summary>Records every call in order, and answers from a dictionary for the environment.</summary>
    private sealed class RecordingControls(Dictionary<string, string>? environment = null, bool canSwitch = true) : ICpuKernelControls
    {
        public Dictionary<string, string> Environment { get; } = environment ?? new();
        public List<string> Calls { get; } = new();

        public string? GetEnvironment(string name) => Environment.GetValueOrDefault(name);

        public void SetEnvironment(string name, string value)
        {
            Calls.Add($"set {name}={value}");
            Environment[name] = value;
        }

        public bool TryDisableOneDnn()
        {
            Calls.Add("oneDNN off");
            return canSwitch;
        }

        public bool TryDisableNnpack()
        {
            Calls.Add("NNPACK off");
            return canSwitch;
        }
    }

    private static Func<KernelCheckResult> Checks(List<string> calls, params KernelCheckResult[] results)
    {
        int next = 0;
        return () =>
        {
            calls.Add("check");
            return results[next++];
        };
    }

    [Fact]
    public void ANoTopologyCpuIsCappedBeforeTheCheckAndNnpackIsTurnedOff()
    {
        var controls = new RecordingControls();
        CpuKernelStatus status = CpuKernelPolicy.Decide(NoTopologyAvx512, controls, Checks(controls.Calls, Pass));

        Assert.Equal(new[] { "set DNNL_MAX_CPU_ISA=AVX", "NNPACK off", "check" }, controls.Calls);
        Assert.True(status.OneDnnEnabled);
        Assert.False(status.NnpackEnabled);
        Assert.StartsWith("AVX", status.OneDnnIsa);
        string note = Assert.Single(status.Notes);
        Assert.Contains("AMD EPYC (test)", note);
        Assert.Contains("limited oneDNN to AVX", note);
        Assert.Contains("DNNL_MAX_CPU_ISA", note);
        Assert.Contains("oneDNN ISA AVX", status.Summary);
    }

    [Fact]
    public void ACpuThatReportsItsCachesKeepsEveryIsaAndSaysNothing()
    {
        var controls = new RecordingControls();
        CpuKernelStatus status = CpuKernelPolicy.Decide(ReportedTopology, controls, Checks(controls.Calls, Pass));

        Assert.Equal(new[] { "check" }, controls.Calls);
        Assert.Empty(status.Notes);
        Assert.True(status.NnpackEnabled);
        Assert.Equal("every ISA the CPU offers", status.OneDnnIsa);
    }

    [Theory]
    [InlineData("DNNL_MAX_CPU_ISA")]
    [InlineData("ONEDNN_MAX_CPU_ISA")]
    public void AnIsaTheUserSetIsRespected(string variable)
    {
        var controls = new RecordingControls(new() { [variable] = "AVX512_CORE" });
        CpuKernelStatus status = CpuKernelPolicy.Decide(NoTopologyAvx512, controls, Checks(controls.Calls, Pass));

        Assert.DoesNotContain(controls.Calls, c => c.StartsWith("set", StringComparison.Ordinal));
        Assert.Equal("AVX512_CORE", controls.Environment[variable]);
        Assert.Contains($"AVX512_CORE (set in the environment as {variable})", status.OneDnnIsa);
        Assert.Empty(status.Notes);
    }

    [Fact]
    public void AFailedCheckTurnsOneDnnOffChecksAgainAndSaysHowToKeepIt()
    {
        var controls = new RecordingControls();
        CpuKernelStatus status = CpuKernelPolicy.Decide(ReportedTopology, controls, Checks(controls.Calls, Fail, Pass));

        Assert.Equal(new[] { "check", "oneDNN off", "check" }, controls.Calls);
        Assert.False(status.OneDnnEnabled);
        Assert.Same(Pass, status.Check);
        string note = Assert.Single(status.Notes);
        Assert.Contains("convolution 16->4 backward (input gradient)", note);
        Assert.Contains("0.268", note);
        Assert.Contains("DNNL_MAX_CPU_ISA=AVX", note);
        Assert.Contains("oneDNN off", status.Summary);
    }

    [Fact]
    public void ACheckThatStillFailsStopsWithTheOperationTheDifferenceAndWhatToSet()
    {
        var controls = new RecordingControls();
        var error = Assert.Throws<InvalidOperationException>(() =>
            CpuKernelPolicy.Decide(NoTopologyAvx512, controls, Checks(controls.Calls, Fail, Fail)));

        Assert.Equal(new[] { "set DNNL_MAX_CPU_ISA=AVX", "NNPACK off", "check", "oneDNN off", "check" }, controls.Calls);
        Assert.Contains("convolution 16->4 backward (input gradient) differs from the reference by 0.268", error.Message);
        Assert.Contains("with oneDNN off", error.Message);
        Assert.Contains("DNNL_MAX_CPU_ISA=SSE41", error.Message);
        Assert.Contains("before the first step", error.Message);
    }

    [Fact]
    public void WithTheUsersIsaAFailedCheckStopsWithoutOverridingIt()
    {
        var controls = new RecordingControls(new() { ["DNNL_MAX_CPU_ISA"] = "AVX2" });
        var error = Assert.Throws<InvalidOperationException>(() =>
            CpuKernelPolicy.Decide(NoTopologyAvx512, controls, Checks(controls.Calls, Fail)));

        Assert.DoesNotContain("oneDNN off", controls.Calls);
        Assert.Contains("now DNNL_MAX_CPU_ISA=AVX2, which is respected", error.Message);
        Assert.Contains("0.268", error.Message);
    }

    [Fact]
    public void ALibtorchWithoutTheSwitchStopsAfterTheFirstFailure()
    {
        var controls = new RecordingControls(canSwitch: false);
        var error = Assert.Throws<InvalidOperationException>(() =>
            CpuKernelPolicy.Decide(ReportedTopology, controls, Checks(controls.Calls, Fail)));

        Assert.Equal(new[] { "check", "oneDNN off" }, controls.Calls);
        Assert.DoesNotContain("with oneDNN off", error.Message);
    }

    [Fact]
    public void OtherArchitecturesAreNotCapped()
    {
        var arm = new CpuFacts("arm64 (test)", IsX86: false, ReportsAvx512: false, ReportsCacheTopology: false);
        var controls = new RecordingControls();
        CpuKernelPolicy.Decide(arm, controls, Checks(controls.Calls, Pass));
        Assert.Equal(new[] { "check" }, controls.Calls);
    }

    [Fact]
    public void LinuxFactsComeFromCpuinfoAndSysfs()
    {
        const string cpuinfo = "processor\t: 0\nmodel name\t: AMD EPYC\nflags\t\t: fpu sse avx2 avx512f avx512bw\n\nprocessor\t: 1\nmodel name\t: AMD EPYC\n";
        Assert.Equal(new CpuFacts("AMD EPYC", true, true, false), CpuFacts.FromLinux(cpuinfo, cacheDirectoryListed: false, isX86: true));
        Assert.Equal(new CpuFacts("unknown", true, false, true), CpuFacts.FromLinux("flags : fpu avx2 avx512_bf16\n", cacheDirectoryListed: true, isX86: true));
    }
}
