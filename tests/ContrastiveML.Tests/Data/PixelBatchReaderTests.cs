using ContrastiveML.Data;
using Microsoft.ML;

namespace ContrastiveML.Tests;

public class PixelBatchReaderTests
{
    [Theory]
    [InlineData(100, 32, 10)]   // buffer smaller than the data: streaming shuffle
    [InlineData(100, 32, 1000)] // buffer larger than the data
    [InlineData(100, 32, 0)]    // no buffer: cursor order
    public void EveryRowAppearsExactlyOncePerEpoch(int rows, int batchSize, int buffer)
    {
        var ml = new MLContext(1);
        var reader = new PixelBatchReader(TestData.IndexedImages(ml, rows), "Pixels", 16, buffer);
        List<PixelBatch> batches = reader.ReadEpoch(batchSize, new Random(3)).ToList();

        Assert.Equal(new[] { 32, 32, 32, 4 }, batches.Select(b => b.Count));
        int[] seen = batches.SelectMany(b => Enumerable.Range(0, b.Count).Select(i => (int)b.Pixels[i * 16])).OrderBy(i => i).ToArray();
        Assert.Equal(Enumerable.Range(0, rows), seen);
    }

    [Fact]
    public void RowsKeepTheirPixelsTogether()
    {
        var ml = new MLContext(1);
        IDataView data = TestData.IndexedImages(ml, 50, seed: 7);
        float[][] original = ml.Data.CreateEnumerable<PixelRowData>(data, reuseRowObject: false).Select(r => r.Pixels).ToArray();
        var reader = new PixelBatchReader(data, "Pixels", 16, 8);
        foreach (PixelBatch batch in reader.ReadEpoch(16, new Random(5)))
        {
            for (int i = 0; i < batch.Count; i++)
            {
                float[] row = batch.Pixels.AsSpan(i * 16, 16).ToArray();
                Assert.Equal(original[(int)row[0]], row);
            }
        }
    }

    [Fact]
    public void ShuffleDependsOnTheRandomSourceAndIsRepeatable()
    {
        var ml = new MLContext(1);
        var reader = new PixelBatchReader(TestData.IndexedImages(ml, 64), "Pixels", 16, 16);
        float[] Order(int seed) => reader.ReadEpoch(64, new Random(seed)).Single().Pixels.Where((_, i) => i % 16 == 0).ToArray();

        Assert.Equal(Order(1), Order(1));
        Assert.NotEqual(Order(1), Order(2));
        Assert.NotEqual(Enumerable.Range(0, 64).Select(i => (float)i), Order(1));
    }

    [Fact]
    public void ALastBatchOfOneIsDroppedButLargerOnesAreKept()
    {
        var ml = new MLContext(1);
        var reader = new PixelBatchReader(TestData.IndexedImages(ml, 9), "Pixels", 16, 4);
        Assert.Equal(new[] { 4, 4 }, reader.ReadEpoch(4, new Random(1)).Select(b => b.Count));
        Assert.Equal(new[] { 4, 4, 1 }, reader.ReadEpoch(4, new Random(1), minimumLastBatch: 1).Select(b => b.Count));
        Assert.Equal(new[] { 5, 4 }, reader.ReadEpoch(5, new Random(1)).Select(b => b.Count));
    }
}
