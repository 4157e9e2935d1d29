using Microsoft.ML;

namespace ContrastiveML.Scoring;

/// <summary>
/// A data view that has a schema and no rows, to fit a stock estimator whose Fit only checks the schema (ML.NET's
/// <c>OnnxScoringEstimator</c>) where no data is at hand, as when a loaded model's ONNX scorer is rebuilt for another
/// device. Reading rows from it is a bug, and says so.
/// </summary>
internal sealed class SchemaOnlyDataView : IDataView
{
    public SchemaOnlyDataView(DataViewSchema schema) => Schema = schema;

    public bool CanShuffle => false;

    public DataViewSchema Schema { get; }

    public long? GetRowCount() => 0;

    public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null) =>
        throw new InvalidOperationException("This data view only carries a schema (to fit a schema-checking estimator); it has no rows to read.");

    public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null) =>
        new[] { GetRowCursor(columnsNeeded, rand) };
}
