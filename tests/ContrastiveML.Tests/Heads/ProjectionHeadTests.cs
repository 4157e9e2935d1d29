using ContrastiveML.Heads;
using static TorchSharp.torch;

namespace ContrastiveML.Tests;

public class ProjectionHeadTests
{
    [Fact]
    public void ProjectsToTheOutputSizeWithNamedParameters()
    {
        using var scope = NewDisposeScope();
        using var head = new ProjectionHead(32, 64);
        var z = head.forward(randn(5, 32));
        Assert.Equal(new long[] { 5, ProjectionHead.DefaultOutputDimension }, z.shape);
        Assert.Equal(
            new[] { "hidden.weight", "hidden.bias", "output.weight", "output.bias" },
            head.named_parameters().Select(p => p.name).ToArray());
        Assert.Equal(32L * 64 + 64 + 64L * 128 + 128, head.parameters().Sum(p => p.numel()));
    }

    [Fact]
    public void GradientsReachBothLayers()
    {
        using var scope = NewDisposeScope();
        using var head = new ProjectionHead(4, 8, 3);
        head.forward(randn(6, 4)).pow(2).sum().backward();
        foreach (var p in head.parameters())
            Assert.True(p.grad is not null && p.grad.abs().sum().item<float>() > 0);
    }

    [Fact]
    public void HiddenLayerIsRectified()
    {
        // With the output layer set to the identity, the head returns relu(hidden(x)).
        using var scope = NewDisposeScope();
        using var head = new ProjectionHead(3, 3, 3);
        var named = head.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        using (no_grad())
        {
            named["output.weight"].copy_(eye(3));
            named["output.bias"].zero_();
        }
        var x = randn(10, 3);
        var expected = nn.functional.relu(nn.functional.linear(x, named["hidden.weight"], named["hidden.bias"]));
        Assert.True((head.forward(x) - expected).abs().max().item<float>() < 1e-6f);
    }

    [Fact]
    public void RejectsNonPositiveSizes()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new ProjectionHead(0, 8));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ProjectionHead(8, 8, -1));
    }
}
