using static TorchSharp.torch;

namespace ContrastiveML.Tests;

/// <summary>TorchSharp's native library loads (through the build's libstdc++ compatibility step where needed) and computes.</summary>
public class NativeLibraryTests
{
    [Fact]
    public void MatrixProductMatchesHandComputedValues()
    {
        using var a = tensor(new float[] { 1, 2, 3, 4 }, new long[] { 2, 2 });
        using var b = tensor(new float[] { 5, 6, 7, 8 }, new long[] { 2, 2 });
        using var c = a.matmul(b);
        Assert.Equal(new float[] { 19, 22, 43, 50 }, c.data<float>().ToArray());
    }
}
