using ContrastiveML.Augmentation;
using ContrastiveML.Encoders;
using ContrastiveML.Methods.DenseCl;
using ContrastiveML.Training;
using Microsoft.ML;
using static TorchSharp.torch;

namespace ContrastiveML.Tests;

/// <summary>
/// What only DenseCL does, beyond the checks every method gets (<see cref="EstimatorReproducibilityTests"/>: same seed
/// with the dense output, resume after a kill, own settings in the checkpoint): with λ = 0 it trains the encoder as MoCo
/// v2 (up to rounding), and its checkpoint state holds every module and both queues.
/// </summary>
/// <remarks>
/// The λ = 0 check compares fits of two methods to 1e-5, which only holds when nothing else draws from libtorch's
/// process-wide generator meanwhile: the class needs the process to itself.
/// </remarks>
[Collection(nameof(ProcessMeasurements))]
public class DenseClMethodTests
{
    private const int Rows = 48; // six batches of 8 per epoch

    private static DenseClOptions Options(int seed = 11, int maxSteps = 6)
    {
        DenseClOptions options = DenseClEstimatorTests.Options(maxSteps: maxSteps, seed: seed, denseOutput: "Dense");
        options.ShuffleBufferSize = 10; // smaller than the data: the streaming shuffle is exercised
        options.QueueSize = 16;         // two batches: the queues wrap around within the run
        return options;
    }

    [Fact]
    public void WithNoDenseLossWeightDenseClTrainsTheEncoderAsMoCoV2()
    {
        // λ = 0: the dense branch contributes exact zeros to the encoder's gradients, and the dense modules are built after
        // MoCo's, so the same seed gives MoCo's encoder. Not bit for bit: MoCo runs its MLP head per BatchNorm group and
        // DenseCL over the whole batch (the head has no batch statistics), and matrix products of 4 and 8 rows round
        // differently in the last bit; six steps keep that far below what the dense loss changes.
        var ml = new MLContext(1);
        IDataView data = TinyFits.Data(ml, Rows);
        DenseClOptions dense = Options();
        dense.DenseLossWeight = 0;
        dense.DenseOutputColumnName = null;
        MoCoOptions moco = MoCoEstimatorTests.Options(maxSteps: 6, seed: 11);
        moco.ShuffleBufferSize = 10;
        moco.QueueSize = 16;

        float[][] fromMoCo = TinyFits.Embeddings(ml, ml.Transforms.MoCo(moco).Fit(data).Transform(data));
        float[][] fromDenseCl = TinyFits.Embeddings(ml, ml.Transforms.DenseCl(dense).Fit(data).Transform(data));
        float[][] withDenseLoss = TinyFits.Embeddings(ml, ml.Transforms.DenseCl(Options()).Fit(data).Transform(data));
        static double MaxAbsDifference(float[][] a, float[][] b) => a.Zip(b, (x, y) => x.Zip(y, (u, v) => Math.Abs(u - v)).Max()).Max();
        Assert.Equal(fromMoCo.Length, fromDenseCl.Length);
        double sameMethod = MaxAbsDifference(fromMoCo, fromDenseCl);
        double denseLossEffect = MaxAbsDifference(fromMoCo, withDenseLoss);
        Assert.True(sameMethod < 1e-5, $"λ = 0 differs from MoCo by {sameMethod}");
        Assert.True(denseLossEffect > 100 * sameMethod && denseLossEffect > 1e-4, $"λ = 0.5 differs from MoCo by {denseLossEffect}, λ = 0 by {sameMethod}");
    }

    [Fact]
    public void TheCheckpointStateHoldsEveryModuleAndBothQueues()
    {
        using var scope = NewDisposeScope();
        DenseClMethod Build(int seed)
        {
            manual_seed(seed);
            var shape = TinyFits.Shape;
            return new DenseClMethod(EncoderFactory.Create(EncoderKind.CompactCnn, shape, 4), EncoderFactory.Create(EncoderKind.CompactCnn, shape, 4),
                                     Options(), shape, queueSize: 12, gridSize: 2);
        }
        ContrastiveBatch Batch(int seed)
        {
            var images = rand(new long[] { 8, 1, 8, 8 }, generator: new Generator((ulong)seed));
            return new ContrastiveBatch(images, null, x => x.sub(0.5f), new Generator((ulong)seed + 100));
        }
        using DenseClMethod trained = Build(1);
        trained.SetTraining(true);
        using var optimizer = optim.AdamW(trained.TrainableParameters(), lr: 1e-2);
        for (int step = 0; step < 3; step++) // 24 keys through queues of 12: both have wrapped, pointers at 0
        {
            using var stepScope = NewDisposeScope();
            Tensor loss = trained.ComputeLoss(Batch(step));
            optimizer.zero_grad();
            loss.backward();
            optimizer.step();
            trained.AfterStep();
        }
        using (NewDisposeScope()) trained.ComputeLoss(Batch(9)); // pointers at 8 of 12
        Assert.Equal(8, trained.DenseQueue.Pointer);

        using DenseClMethod restored = Build(2);
        restored.SetTraining(true);
        using (var stream = new MemoryStream())
        {
            using (var writer = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true)) trained.SaveState(writer);
            stream.Position = 0;
            using var reader = new BinaryReader(stream);
            restored.LoadState(reader);
            Assert.Equal(stream.Length, stream.Position); // everything written was read
        }

        Assert.Equal(trained.DenseQueue.Pointer, restored.DenseQueue.Pointer);
        Assert.Equal(trained.GlobalQueue.Pointer, restored.GlobalQueue.Pointer);
        Assert.True(trained.DenseQueue.Keys.equal(restored.DenseQueue.Keys).all().item<bool>());
        Assert.True(trained.GlobalQueue.Keys.equal(restored.GlobalQueue.Keys).all().item<bool>());
        foreach (var (a, b) in trained.KeyDenseHead.parameters().Zip(restored.KeyDenseHead.parameters()))
            Assert.True(a.equal(b).all().item<bool>());
        foreach (var (a, b) in trained.DenseHead.parameters().Zip(restored.DenseHead.parameters()))
            Assert.True(a.equal(b).all().item<bool>());
        // Everything the next step reads (encoders, heads, key copies, BatchNorm statistics, queues) is the same:
        // the next loss is too, bit for bit.
        Assert.Equal(trained.ComputeLoss(Batch(5)).item<float>(), restored.ComputeLoss(Batch(5)).item<float>());
    }
}
