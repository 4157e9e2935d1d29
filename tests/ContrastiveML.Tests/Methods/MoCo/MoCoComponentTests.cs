using ContrastiveML.Methods.MoCo;
using TorchSharp;
using static TorchSharp.torch;

namespace ContrastiveML.Tests;

/// <summary>
/// MoCo's building blocks against independent expectations: the queue's ring buffer against a one-key-at-a-time
/// simulation in plain doubles, the momentum update against m·k + (1 − m)·q computed by hand, and the BatchNorm groups
/// against group means computed by hand.
/// </summary>
public class MoCoComponentTests
{
    private static float[] Values(Tensor t) => t.contiguous().data<float>().ToArray();

    /// <summary>The queue as a list of rows, updated one key at a time, each key normalised in double arithmetic.</summary>
    private static double[][] Simulate(double[][] initial, ref int pointer, IEnumerable<double[]> keys)
    {
        double[][] rows = initial.Select(r => r.ToArray()).ToArray();
        foreach (double[] key in keys)
        {
            double norm = Math.Sqrt(key.Sum(v => v * v));
            rows[pointer] = key.Select(v => v / norm).ToArray();
            pointer = (pointer + 1) % rows.Length;
        }
        return rows;
    }

    private static void AssertQueue(double[][] expected, int expectedPointer, NegativeKeyQueue queue)
    {
        Assert.Equal(expectedPointer, queue.Pointer);
        float[] actual = Values(queue.Keys);
        Assert.Equal(expected.Length * expected[0].Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            for (int j = 0; j < expected[i].Length; j++)
                Assert.Equal(expected[i][j], actual[i * expected[i].Length + j], 6);
    }

    private static Tensor Rows(double[][] rows) =>
        tensor(rows.SelectMany(r => r.Select(v => (float)v)).ToArray(), new long[] { rows.Length, rows[0].Length });

    [Fact]
    public void QueueWrapsAroundAndTakesBatchesOfAnySize()
    {
        // K = 5 slots of D = 2, starting from known unit keys.
        double[][] initial = { new[] { 1.0, 0 }, new[] { 0, 1.0 }, new[] { -1.0, 0 }, new[] { 0, -1.0 }, new[] { 0.6, 0.8 } };
        using var queue = new NegativeKeyQueue(Rows(initial));
        double[][] expected = initial;
        int pointer = 0;

        // Unnormalised keys: the queue stores them at unit length. Batches of 3, 3 (wraps: slots 3, 4, 0), 1 and 7 (> K).
        var random = new Random(5);
        foreach (int n in new[] { 3, 3, 1, 7, 2 })
        {
            double[][] batch = Enumerable.Range(0, n).Select(_ => new[] { random.Next(1, 9) * 1.0, random.Next(-9, 9) * 1.0 }).ToArray();
            using Tensor keys = Rows(batch);
            queue.Enqueue(keys);
            expected = Simulate(expected, ref pointer, batch);
            AssertQueue(expected, pointer, queue);
        }
        Assert.Equal(1, queue.Pointer); // by hand: 3, then 6 % 5 = 1, 2, 9 % 5 = 4, 6 % 5 = 1
    }

    [Fact]
    public void ABatchLongerThanTheQueueKeepsItsLastKeysInEnqueueOrder()
    {
        double[][] initial = Enumerable.Range(0, 4).Select(i => new[] { 1.0, 0.0 }).ToArray();
        using var queue = new NegativeKeyQueue(Rows(initial));
        using (Tensor first = Rows(new[] { new[] { 3.0, 4.0 } })) queue.Enqueue(first); // slot 0 = (0.6, 0.8), pointer 1
        // Keys k_i = (i, 1), i = 1..6, one at a time from slot 1 land in slots 1, 2, 3, 0, 1, 2: k4, k5, k6, k3 survive.
        double[][] batch = Enumerable.Range(1, 6).Select(i => new[] { (double)i, 1.0 }).ToArray();
        using (Tensor keys = Rows(batch)) queue.Enqueue(keys);
        double[] Unit(double i) => new[] { i / Math.Sqrt(i * i + 1), 1 / Math.Sqrt(i * i + 1) };
        AssertQueue(new[] { Unit(4), Unit(5), Unit(6), Unit(3) }, 3, queue);
    }

    [Fact]
    public void QueueRejectsKeysOfAnotherSize()
    {
        using var queue = new NegativeKeyQueue(capacity: 4, dimension: 3);
        using Tensor wrong = ones(2, 4);
        var error = Assert.Throws<ArgumentException>(() => queue.Enqueue(wrong));
        Assert.Contains("[n, 3]", error.Message);
        Assert.Contains("[2, 4]", error.Message);
    }

    [Fact]
    public void ARandomQueueHoldsUnitKeys()
    {
        using var queue = new NegativeKeyQueue(capacity: 16, dimension: 8);
        Assert.Equal(new long[] { 16, 8 }, queue.Keys.shape);
        float[] values = Values(queue.Keys);
        for (int i = 0; i < 16; i++)
        {
            double norm = Math.Sqrt(Enumerable.Range(0, 8).Sum(j => (double)values[i * 8 + j] * values[i * 8 + j]));
            Assert.Equal(1.0, norm, 5);
        }
        Assert.Equal(0, queue.Pointer);
    }

    [Fact]
    public void QueueSaveLoadRestoresKeysAndPointerAndRejectsAnotherShape()
    {
        using var source = new NegativeKeyQueue(capacity: 6, dimension: 3);
        using (Tensor keys = randn(4, 3)) source.Enqueue(keys);
        using var stream = new MemoryStream();
        using (var writer = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true)) source.Save(writer);

        using var target = new NegativeKeyQueue(capacity: 6, dimension: 3);
        stream.Position = 0;
        using (var reader = new BinaryReader(stream, System.Text.Encoding.UTF8, leaveOpen: true)) target.Load(reader);
        Assert.Equal(4, target.Pointer);
        Assert.Equal(Values(source.Keys), Values(target.Keys));

        using var other = new NegativeKeyQueue(capacity: 8, dimension: 3);
        stream.Position = 0;
        var error = Assert.Throws<InvalidDataException>(() => other.Load(new BinaryReader(stream)));
        Assert.Contains("6 keys of size 3", error.Message);
        Assert.Contains("8 keys of size 3", error.Message);

        byte[] truncated = stream.ToArray()[..^5];
        var shortError = Assert.Throws<InvalidDataException>(() => target.Load(new BinaryReader(new MemoryStream(truncated))));
        Assert.Contains("truncated", shortError.Message);
    }

    /// <summary>Linear(2 → 2) then BatchNorm1d(2): parameters and buffers.</summary>
    private static nn.Module<Tensor, Tensor> SmallModule() => nn.Sequential(("linear", nn.Linear(2, 2)), ("bn", nn.BatchNorm1d(2)));

    private static void Set(nn.Module module, string name, float[] values)
    {
        using var noGrad = no_grad();
        Tensor target = module.named_parameters().Where(p => p.name == name).Select(p => (Tensor)p.parameter)
            .Concat(module.named_buffers().Where(b => b.name == name).Select(b => b.buffer)).Single();
        using Tensor source = tensor(values, target.shape);
        target.copy_(source);
    }

    private static float[] Get(nn.Module module, string name) =>
        Values(module.named_parameters().Where(p => p.name == name).Select(p => (Tensor)p.parameter)
            .Concat(module.named_buffers().Where(b => b.name == name).Select(b => b.buffer)).Single());

    [Fact]
    public void TheKeyCopyStartsAsTheQueryAndIsFrozen()
    {
        using var query = SmallModule();
        using var key = SmallModule();
        Assert.NotEqual(Get(query, "linear.weight"), Get(key, "linear.weight")); // two random initialisations
        Set(query, "bn.running_mean", new[] { 0.5f, -0.25f });
        var update = new MomentumUpdate(query, key);
        foreach (string name in new[] { "linear.weight", "linear.bias", "bn.weight", "bn.bias", "bn.running_mean", "bn.running_var" })
            Assert.Equal(Get(query, name), Get(key, name));
        Assert.All(key.parameters(), p => Assert.False(p.requires_grad));
        Assert.All(query.parameters(), p => Assert.True(p.requires_grad));
        Assert.Same(key, update.Key);
    }

    [Fact]
    public void ApplyGivesMTimesKeyPlusOneMinusMTimesQueryAndCopiesBuffers()
    {
        using var query = SmallModule();
        using var key = SmallModule();
        var update = new MomentumUpdate(query, key);
        float[] q = { 1f, -2f, 0.5f, 4f }, k = { 3f, 0f, -1f, 2f };
        Set(query, "linear.weight", q);
        Set(key, "linear.weight", k);
        Set(query, "linear.bias", new[] { 10f, -10f });
        Set(key, "linear.bias", new[] { 0f, 0f });
        Set(query, "bn.running_mean", new[] { 7f, 8f });
        Set(query, "bn.running_var", new[] { 2f, 3f });

        update.Apply(0.9);

        // By hand: 0.9 * k + 0.1 * q.
        float[] expectedWeight = { 0.9f * 3 + 0.1f * 1, 0.9f * 0 + 0.1f * -2, 0.9f * -1 + 0.1f * 0.5f, 0.9f * 2 + 0.1f * 4 };
        Assert.Equal(new[] { 2.8, -0.2, -0.85, 2.2 }, expectedWeight.Select(v => Math.Round(v, 5)));
        float[] weight = Get(key, "linear.weight");
        for (int i = 0; i < 4; i++) Assert.Equal(expectedWeight[i], weight[i], 5);
        float[] bias = Get(key, "linear.bias");
        Assert.Equal(1.0, bias[0], 5);
        Assert.Equal(-1.0, bias[1], 5);
        Assert.Equal(new[] { 7f, 8f }, Get(key, "bn.running_mean"));
        Assert.Equal(new[] { 2f, 3f }, Get(key, "bn.running_var"));
        Assert.Equal(q, Get(query, "linear.weight")); // the query is only read

        update.Apply(0); // m = 0: a copy
        Assert.Equal(q, Get(key, "linear.weight"));
    }

    [Fact]
    public void TheMomentumUpdateFollowsTheModulesAcrossADeviceMove()
    {
        // Module.to replaces parameter objects; the update must find the key's current ones.
        using var query = SmallModule();
        using var key = SmallModule();
        var update = new MomentumUpdate(query, key);
        query.to(CPU);
        key.to(CPU);
        Set(query, "linear.bias", new[] { 2f, 4f });
        Set(key, "linear.bias", new[] { 0f, 0f });
        update.Apply(0.5);
        Assert.Equal(new[] { 1f, 2f }, Get(key, "linear.bias"));
    }

    [Fact]
    public void ModulesOfDifferentArchitecturesCannotBePaired()
    {
        using var query = SmallModule();
        using var key = nn.Sequential(("linear", nn.Linear(2, 3)), ("bn", nn.BatchNorm1d(3)));
        var error = Assert.Throws<ArgumentException>(() => new MomentumUpdate(query, key));
        Assert.Contains("architecture", error.Message);
        Assert.Throws<ArgumentException>(() => new MomentumUpdate(query, query));
    }

    [Theory]
    [InlineData(10, 4, 4)]
    [InlineData(7, 4, 3)]
    [InlineData(3, 4, 1)]
    [InlineData(2, 4, 1)]
    [InlineData(256, 1, 1)]
    public void EffectiveGroupsKeepTwoRowsPerGroup(long rows, int groups, int expected) =>
        Assert.Equal(expected, ShuffledBatchNorm.EffectiveGroups(rows, groups));

    /// <summary>Subtracts the mean of the rows it is given: the batch-statistics part of BatchNorm, easy to check by hand.</summary>
    private static Tensor CenterRows(Tensor x) => x - x.mean(new long[] { 0 }, keepdim: true);

    [Fact]
    public void ForwardInGroupsNormalisesEachGroupOnItsOwn()
    {
        // 10 rows, 4 groups: sizes 3, 3, 2, 2 (rows 0-2, 3-5, 6-7, 8-9).
        double[] x = { 1, 2, 6, 10, 20, 30, -1, 1, 5, 9 };
        using Tensor input = tensor(x.Select(v => (float)v).ToArray(), new long[] { 10, 1 });
        using Tensor output = ShuffledBatchNorm.ForwardInGroups(CenterRows, input, 4);
        double[] expected = { 1 - 3, 2 - 3, 6 - 3, 10 - 20, 20 - 20, 30 - 20, -1 - 0, 1 - 0, 5 - 7, 9 - 7 };
        float[] actual = Values(output);
        for (int i = 0; i < 10; i++) Assert.Equal(expected[i], actual[i], 5);
    }

    [Fact]
    public void ForwardShuffledReturnsRowsInTheirOrderEachCentredOnARandomGroup()
    {
        double[] x = Enumerable.Range(0, 12).Select(i => Math.Pow(2, i)).ToArray(); // every subset has its own mean
        using Tensor input = tensor(x.Select(v => (float)v).ToArray(), new long[] { 12, 1 });
        using var generator = new Generator(3);

        using (Tensor same = ShuffledBatchNorm.ForwardShuffled(t => t * 1, input, 3, generator))
            Assert.Equal(Values(input), Values(same)); // rows come back in their own order

        using Tensor output = ShuffledBatchNorm.ForwardShuffled(CenterRows, input, 3, generator);
        float[] centred = Values(output);
        // Row i came out as x_i − mean(its group): recover each row's group mean, then check the groups partition the rows
        // into 3 groups of 4 whose means are the recovered values.
        double[] groupMean = x.Select((v, i) => v - centred[i]).ToArray();
        var groups = Enumerable.Range(0, 12).GroupBy(i => Math.Round(groupMean[i], 1)).ToList();
        Assert.Equal(3, groups.Count);
        Assert.All(groups, g => Assert.Equal(4, g.Count()));
        Assert.All(groups, g => Assert.Equal(g.Average(i => x[i]), g.Key, 1));
        Assert.False(groups.All(g => g.Min() % 4 == 0 && g.Max() == g.Min() + 3), "the rows were not shuffled across groups");
    }

    [Fact]
    public void ForwardShuffledWithOneGroupDrawsNothing()
    {
        using var generator = new Generator(3);
        using Tensor before = generator.get_state();
        using Tensor input = randn(8, 2);
        using Tensor output = ShuffledBatchNorm.ForwardShuffled(CenterRows, input, 1, generator);
        using Tensor after = generator.get_state();
        Assert.Equal(before.data<byte>().ToArray(), after.data<byte>().ToArray());
    }
}
