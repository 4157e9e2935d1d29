using ContrastiveML.Losses;
using static TorchSharp.torch;

namespace ContrastiveML.Tests;

public class CrossEntropyLossTests
{
    /// <summary>Mean softmax cross-entropy in plain doubles: ℓ_i = log Σ_k exp(x_ik) − x_{i,y_i}.</summary>
    private static double Reference(double[][] logits, long[] labels) =>
        logits.Select((row, i) => Math.Log(row.Sum(Math.Exp)) - row[labels[i]]).Average();

    private static Tensor Rows(double[][] rows) =>
        tensor(rows.SelectMany(r => r).Select(x => (float)x).ToArray(), new long[] { rows.Length, rows[0].Length });

    [Fact]
    public void TinyExampleMatchesHandComputation()
    {
        double[][] logits = { new[] { 2.0, 0.5, -1.0 }, new[] { 0.0, 0.0, 0.0 }, new[] { -0.3, 1.7, 0.4 } };
        long[] labels = { 0, 2, 1 };
        // By hand: row 1 is uniform, so its term is log 3 = 1.0986; row 0: log(e^2 + e^0.5 + e^-1) − 2 = 0.2413;
        // row 2: log(e^-0.3 + e^1.7 + e^0.4) − 1.7 = 0.3421; the mean is 0.5607.
        Assert.Equal(0.5607, Reference(logits, labels), 4);
        using var scope = NewDisposeScope();
        Tensor loss = CrossEntropyLoss.Compute(Rows(logits), tensor(labels));
        Assert.Equal(0, loss.dim());
        Assert.Equal(Reference(logits, labels), loss.item<float>(), 1e-5);
    }

    [Fact]
    public void UniformLogitsGiveLogOfTheClassCountAndLargeLogitsDoNotOverflow()
    {
        using var scope = NewDisposeScope();
        Assert.Equal(Math.Log(10), CrossEntropyLoss.Compute(zeros(4, 10), tensor(new long[] { 0, 3, 9, 5 })).item<float>(), 1e-5);
        // exp(1000) overflows float32; log-softmax subtracts the row maximum first. ℓ = log(1 + e^-10) for the right
        // class, 10 + log(1 + e^-10) for the wrong one.
        double[][] large = { new[] { 1000.0, 990.0 }, new[] { 1000.0, 990.0 } };
        double expected = (Math.Log(1 + Math.Exp(-10)) + 10 + Math.Log(1 + Math.Exp(-10))) / 2;
        Tensor loss = CrossEntropyLoss.Compute(Rows(large), tensor(new long[] { 0, 1 }));
        Assert.True(float.IsFinite(loss.item<float>()));
        Assert.Equal(expected, loss.item<float>(), 1e-4);
    }

    [Fact]
    public void GradientIsSoftmaxMinusOneHotOverN()
    {
        double[][] logits = { new[] { 0.2, -0.1 }, new[] { 1.0, 3.0 } };
        long[] labels = { 1, 1 };
        using var scope = NewDisposeScope();
        Tensor x = Rows(logits).requires_grad_();
        CrossEntropyLoss.Compute(x, tensor(labels)).backward();
        float[] gradient = x.grad!.data<float>().ToArray();
        for (int i = 0; i < 2; i++)
        {
            double sum = logits[i].Sum(Math.Exp);
            for (int k = 0; k < 2; k++)
            {
                double expected = (Math.Exp(logits[i][k]) / sum - (k == labels[i] ? 1 : 0)) / 2;
                Assert.Equal(expected, gradient[i * 2 + k], 1e-6);
            }
        }
    }

    [Fact]
    public void BadInputsAreRejectedNamingWhatWasFound()
    {
        using var scope = NewDisposeScope();
        var outOfRange = Assert.Throws<ArgumentException>(() => CrossEntropyLoss.Compute(zeros(2, 3), tensor(new long[] { 0, 3 })));
        Assert.Contains("[0, 3)", outOfRange.Message);
        Assert.Contains("0 to 3", outOfRange.Message);
        Assert.Throws<ArgumentException>(() => CrossEntropyLoss.Compute(zeros(2, 3), tensor(new long[] { -1, 0 })));
        var oneClass = Assert.Throws<ArgumentException>(() => CrossEntropyLoss.Compute(zeros(2, 1), tensor(new long[] { 0, 0 })));
        Assert.Contains("two classes", oneClass.Message);
        var wrongCount = Assert.Throws<ArgumentException>(() => CrossEntropyLoss.Compute(zeros(2, 3), tensor(new long[] { 0, 1, 2 })));
        Assert.Contains("[2]", wrongCount.Message);
        var wrongType = Assert.Throws<ArgumentException>(() => CrossEntropyLoss.Compute(zeros(2, 3), tensor(new int[] { 0, 1 })));
        Assert.Contains("int64", wrongType.Message);
    }
}
