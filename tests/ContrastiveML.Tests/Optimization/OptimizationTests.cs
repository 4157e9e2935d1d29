using ContrastiveML.Optimization;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ContrastiveML.Tests;

public class WarmupCosineScheduleTests
{
    [Fact]
    public void ValuesAtKeyStepsMatchHandComputation()
    {
        // base 1, 10 warm-up steps, 110 in all, ends at 10%.
        var s = new WarmupCosineSchedule(1.0, 10, 110, 0.1);
        Assert.Equal(0.1, s.LearningRateAt(0), 12);        // (0 + 1) / 10
        Assert.Equal(0.5, s.LearningRateAt(4), 12);        // (4 + 1) / 10
        Assert.Equal(1.0, s.LearningRateAt(9), 12);        // end of warm-up
        Assert.Equal(1.0, s.LearningRateAt(10), 12);       // cosine starts at its peak
        Assert.Equal(0.1 + 0.9 * 0.5 * (1 + Math.Sqrt(0.5)), s.LearningRateAt(35), 12); // a quarter in: cos(π/4)
        Assert.Equal(0.55, s.LearningRateAt(60), 12);      // middle: 0.1 + 0.9 * 0.5
        Assert.Equal(0.1, s.LearningRateAt(110), 12);      // end
        Assert.Equal(0.1, s.LearningRateAt(500), 12);      // stays at the end value
    }

    [Fact]
    public void NoWarmupStartsAtTheBaseRateAndDecaysToZero()
    {
        var s = new WarmupCosineSchedule(0.4, 0, 100);
        Assert.Equal(0.4, s.LearningRateAt(0), 12);
        Assert.Equal(0.2, s.LearningRateAt(50), 12);
        Assert.Equal(0.0, s.LearningRateAt(100), 12);
        var allWarmup = new WarmupCosineSchedule(1.0, 4, 4);
        Assert.Equal(1.0, allWarmup.LearningRateAt(3), 12);
        Assert.Equal(0.0, allWarmup.LearningRateAt(4), 12);
    }

    [Fact]
    public void RejectsInvalidArguments()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new WarmupCosineSchedule(-1, 0, 10));
        Assert.Throws<ArgumentOutOfRangeException>(() => new WarmupCosineSchedule(1, 11, 10));
        Assert.Throws<ArgumentOutOfRangeException>(() => new WarmupCosineSchedule(1, 0, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new WarmupCosineSchedule(1, 0, 10, 1.5));
        Assert.Throws<ArgumentOutOfRangeException>(() => new WarmupCosineSchedule(1, 0, 10).LearningRateAt(-1));
    }
}

public class TrainingOptimizerTests
{
    private static float[] Values(Tensor t) => t.detach().cpu().data<float>().ToArray();

    [Fact]
    public void LarsStepMatchesHandComputation()
    {
        // Loss = sum(c ⊙ w) + sum(d ⊙ b): the gradients are c and d whatever w and b are, so two steps can be
        // followed by hand, momentum included.
        const double lr = 0.1, wd = 0.01, m = 0.9, eta = 0.5;
        double[] c = { 1, 2 }, d = { 0.5, -0.5 };
        using var scope = NewDisposeScope();
        var w = new Parameter(tensor(new float[] { 3, 4 }, new long[] { 1, 2 }));
        var b = new Parameter(tensor(new float[] { 1, -1 }));
        using var opt = TrainingOptimizer.Create(OptimizerKind.Lars, new[] { w, b }, lr, wd, m, trustCoefficient: eta);
        var cw = tensor(new float[] { 1, 2 }, new long[] { 1, 2 });
        var db = tensor(new float[] { 0.5f, -0.5f });

        double[] wRef = { 3, 4 }, bRef = { 1, -1 }, vw = { 0, 0 }, vb = { 0, 0 };
        for (int step = 0; step < 2; step++)
        {
            opt.ZeroGrad();
            ((w * cw).sum() + (b * db).sum()).backward();
            opt.Step();

            double wNorm = Math.Sqrt(wRef.Sum(x => x * x)), gNorm = Math.Sqrt(c.Sum(x => x * x));
            double trust = eta * wNorm / (gNorm + wd * wNorm);
            for (int i = 0; i < 2; i++)
            {
                vw[i] = m * vw[i] + lr * trust * (c[i] + wd * wRef[i]);
                vb[i] = m * vb[i] + lr * d[i];          // 1-D: no decay, no trust ratio
            }
            for (int i = 0; i < 2; i++)
            {
                wRef[i] -= vw[i];
                bRef[i] -= vb[i];
            }
            var wNow = Values(w);
            var bNow = Values(b);
            for (int i = 0; i < 2; i++)
            {
                Assert.Equal(wRef[i], wNow[i], 5);
                Assert.Equal(bRef[i], bNow[i], 5);
            }
        }
    }

    [Fact]
    public void LarsUsesThePlainRateForAZeroWeight()
    {
        using var scope = NewDisposeScope();
        var w = new Parameter(zeros(2, 2));
        using var opt = TrainingOptimizer.Create(OptimizerKind.Lars, new[] { w }, 0.1, 0.01, 0.9);
        opt.ZeroGrad();
        (w * 2f).sum().backward();
        opt.Step();
        Assert.All(Values(w), v => Assert.Equal(-0.2f, v, 6));   // trust 1: w − 0.1 · 2
    }

    [Theory]
    [InlineData(OptimizerKind.Sgd, 0.05)]
    [InlineData(OptimizerKind.AdamW, 0.1)]
    [InlineData(OptimizerKind.Lars, 0.5)]
    public void ReducesAQuadraticLoss(OptimizerKind kind, double learningRate)
    {
        using var scope = NewDisposeScope();
        var target = tensor(new float[] { 1, -2, 0.5f, 3 }, new long[] { 2, 2 });
        var w = new Parameter(zeros(2, 2));
        var bias = new Parameter(zeros(2));
        using var opt = TrainingOptimizer.Create(kind, new[] { w, bias }, learningRate, weightDecay: 1e-4, trustCoefficient: 0.1);
        float Loss()
        {
            using var inner = NewDisposeScope();
            opt.ZeroGrad();
            var loss = (w - target).pow(2).sum() + (bias - 1f).pow(2).sum();
            loss.backward();
            return loss.item<float>();
        }
        float first = Loss();
        for (int i = 0; i < 100; i++)
        {
            Loss();
            opt.Step();
        }
        Assert.True(Loss() < first / 20, $"{kind}: loss did not drop enough from {first}.");
    }

    [Theory]
    [InlineData(OptimizerKind.Sgd)]
    [InlineData(OptimizerKind.AdamW)]
    [InlineData(OptimizerKind.Lars)]
    public void LearningRateSetterReachesEveryParameter(OptimizerKind kind)
    {
        using var scope = NewDisposeScope();
        var a = new Parameter(ones(2, 2));
        var b = new Parameter(ones(3));
        using var opt = TrainingOptimizer.Create(kind, new[] { a, b }, 0.1, 0);
        opt.LearningRate = 0;
        Assert.Equal(0, opt.LearningRate);
        opt.ZeroGrad();
        (a.sum() + b.sum()).backward();
        opt.Step();
        Assert.All(Values(a), v => Assert.Equal(1f, v));
        Assert.All(Values(b), v => Assert.Equal(1f, v));

        opt.LearningRate = 0.1;
        opt.Step();
        Assert.All(Values(a), v => Assert.True(v < 1f));
        Assert.All(Values(b), v => Assert.True(v < 1f));
    }

    /// <summary>
    /// Our AdamW and SGD (written to keep their Scalars alive, see KeptScalars) against TorchSharp's own optimizers,
    /// the reference implementation of the same update: same parameters, same gradients, changing learning rates,
    /// five steps, one parameter without a gradient. Equal to float32 rounding.
    /// </summary>
    [Theory]
    [InlineData(OptimizerKind.AdamW, 0.0)]
    [InlineData(OptimizerKind.AdamW, 0.05)]
    [InlineData(OptimizerKind.Sgd, 0.0)]
    [InlineData(OptimizerKind.Sgd, 0.05)]
    public void StepsMatchTorchSharpsOptimizer(OptimizerKind kind, double weightDecay)
    {
        using var scope = NewDisposeScope();
        manual_seed(3);
        var initial = new[] { randn(3, 4), randn(4), randn(2) };
        Parameter[] ours = initial.Select(t => new Parameter(t.clone())).ToArray();
        Parameter[] theirs = initial.Select(t => new Parameter(t.clone())).ToArray();
        const double momentum = 0.8, lr = 0.05;
        using var ourOptimizer = TrainingOptimizer.Create(kind, ours, lr, weightDecay, momentum);
        using var torchOptimizer = kind == OptimizerKind.AdamW
            ? (optim.Optimizer)optim.AdamW(theirs, lr: lr, beta1: momentum, weight_decay: weightDecay)
            : optim.SGD(theirs, lr, momentum: momentum, weight_decay: weightDecay);

        for (int step = 0; step < 5; step++)
        {
            using var inner = NewDisposeScope();
            var x = randn(4);
            double stepLr = lr * (1 + step) / 5;
            ourOptimizer.LearningRate = stepLr;
            foreach (var group in torchOptimizer.ParamGroups) group.LearningRate = stepLr;
            // The last parameter never takes part in the loss: both optimizers must leave it alone.
            Tensor Loss(Parameter[] p) => (p[0].matmul(x) + p[1].sum()).pow(2).sum() + (p[1] * x).sum();
            ourOptimizer.ZeroGrad();
            Loss(ours).backward();
            ourOptimizer.Step();
            torchOptimizer.zero_grad();
            Loss(theirs).backward();
            torchOptimizer.step();
        }
        for (int i = 0; i < ours.Length; i++)
        {
            float[] expected = Values(theirs[i]), actual = Values(ours[i]);
            for (int j = 0; j < expected.Length; j++) Assert.Equal(expected[j], actual[j], 5);
        }
        Assert.Equal(Values(initial[2]), Values(ours[2]));
    }

    [Theory]
    [InlineData(OptimizerKind.Sgd)]
    [InlineData(OptimizerKind.AdamW)]
    [InlineData(OptimizerKind.Lars)]
    public void SavedStateContinuesExactlyWhereItStopped(OptimizerKind kind)
    {
        using var scope = NewDisposeScope();
        Parameter[] Make() => new[] { new Parameter(arange(6, dtype: ScalarType.Float32).reshape(2, 3)), new Parameter(ones(3)) };
        void Step(TrainingOptimizer o, Parameter[] p, float k)
        {
            using var inner = NewDisposeScope();
            o.ZeroGrad();
            ((p[0] * k).pow(2).sum() + (p[1] * k).sum()).backward();
            o.Step();
        }
        // a: three steps, state saved, two more. b: a's weights and saved state at step 3, then the same two steps.
        Parameter[] a = Make(), b = Make();
        using var first = TrainingOptimizer.Create(kind, a, 0.01, 0.01);
        for (int i = 1; i <= 3; i++) Step(first, a, i);
        using var buffer = new MemoryStream();
        using (var writer = new BinaryWriter(buffer, System.Text.Encoding.UTF8, leaveOpen: true)) first.SaveState(writer);
        using (no_grad()) { b[0].copy_(a[0]); b[1].copy_(a[1]); }
        for (int i = 4; i <= 5; i++) Step(first, a, i);

        using var second = TrainingOptimizer.Create(kind, b, 0.01, 0.01);
        buffer.Position = 0;
        using (var reader = new BinaryReader(buffer)) second.LoadState(reader);
        for (int i = 4; i <= 5; i++) Step(second, b, i);
        Assert.Equal(Values(a[0]), Values(b[0]));
        Assert.Equal(Values(a[1]), Values(b[1]));
    }

    [Fact]
    public void RejectsInvalidArguments()
    {
        using var scope = NewDisposeScope();
        var p = new[] { new Parameter(ones(2)) };
        Assert.Throws<ArgumentOutOfRangeException>(() => TrainingOptimizer.Create(OptimizerKind.Sgd, p, -0.1, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => TrainingOptimizer.Create(OptimizerKind.Sgd, p, 0.1, -1));
        Assert.Throws<ArgumentOutOfRangeException>(() => TrainingOptimizer.Create(OptimizerKind.Sgd, p, 0.1, 0, momentum: 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => TrainingOptimizer.Create((OptimizerKind)7, p, 0.1, 0));
        Assert.Throws<ArgumentException>(() => TrainingOptimizer.Create(OptimizerKind.Lars, Array.Empty<Parameter>(), 0.1, 0));
        using var opt = TrainingOptimizer.Create(OptimizerKind.Sgd, p, 0.1, 0);
        Assert.Throws<ArgumentOutOfRangeException>(() => opt.LearningRate = double.NaN);
    }
}
