using ContrastiveML.Encoders;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ContrastiveML.Tests;

/// <summary>
/// The encoders' BatchNorm layers carry no batch counter (its per-forward <c>add_(1)</c> passes finalizer-owned Scalars,
/// see BatchNormBatchCounter), and without it a BatchNorm layer with a fixed momentum computes exactly what TorchSharp's
/// own layer with the counter computes: outputs and running statistics, step after step.
/// </summary>
public class BatchNormBatchCounterTests
{
    [Theory]
    [InlineData(EncoderKind.CompactCnn)]
    [InlineData(EncoderKind.ResNet18)]
    public void EncodersHaveNoBatchCounterInAnyBatchNormLayerOrInTheirState(EncoderKind kind)
    {
        using var encoder = EncoderFactory.Create(kind, new ImageShape(1, 16, 16), 8, EmbeddingPooling.Global);
        var batchNorms = encoder.modules().OfType<BatchNorm>().ToList();
        Assert.NotEmpty(batchNorms);
        Assert.All(batchNorms, b => Assert.Null(b.num_batches_tracked));
        Assert.DoesNotContain(encoder.state_dict().Keys, k => k.EndsWith("num_batches_tracked", StringComparison.Ordinal));
        Assert.Contains(encoder.state_dict().Keys, k => k.EndsWith("running_mean", StringComparison.Ordinal));
    }

    [Fact]
    public void WithoutTheCounterTrainingAndEvaluationAreUnchanged()
    {
        using var scope = NewDisposeScope();
        using var counted = nn.BatchNorm2d(3, momentum: 0.1);
        using var uncounted = nn.BatchNorm2d(3, momentum: 0.1);
        BatchNormBatchCounter.Remove(uncounted);
        Assert.Null(uncounted.num_batches_tracked);
        Assert.NotNull(counted.num_batches_tracked);

        manual_seed(2);
        for (int step = 0; step < 3; step++)
        {
            var x = randn(4, 3, 5, 5) * 2 + step;
            Assert.Equal(counted.call(x).data<float>().ToArray(), uncounted.call(x).data<float>().ToArray());
        }
        Assert.Equal(3L, counted.num_batches_tracked!.item<long>());
        Assert.Equal(counted.running_mean!.data<float>().ToArray(), uncounted.running_mean!.data<float>().ToArray());
        Assert.Equal(counted.running_var!.data<float>().ToArray(), uncounted.running_var!.data<float>().ToArray());
        counted.eval();
        uncounted.eval();
        var y = randn(2, 3, 5, 5);
        Assert.Equal(counted.call(y).data<float>().ToArray(), uncounted.call(y).data<float>().ToArray());
    }

    [Fact]
    public void ACumulativeAverageLayerKeepsItsCounter()
    {
        // momentum null: the running statistics are a cumulative average that reads the counter, so it must stay.
        using var cumulative = nn.BatchNorm2d(2);
        cumulative.momentum = null;
        BatchNormBatchCounter.Remove(cumulative);
        Assert.NotNull(cumulative.num_batches_tracked);
    }
}
