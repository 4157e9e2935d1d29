using System.Globalization;
using SkiaSharp;

namespace ContrastiveML.Samples.Plots;

/// <summary>
/// A minimal x-y chart drawn with SkiaSharp 2.88 and saved as PNG: title, axes with ticks and labels, lines, dots and
/// a legend. Why not ScottPlot: ScottPlot 5.1 needs SkiaSharp 3, and SkiaSharp 3 in the same process breaks ML.NET
/// 5.0.1's ImageAnalytics (MissingMethodException for SKBitmap.GetPixelSpan in MLImage.Pixels); SkiaSharp 2.88 is
/// already here as ImageAnalytics' own dependency.
/// </summary>
internal sealed class PngChart : IDisposable
{
    private const float Left = 70, Top = 40, Bottom = 50;

    private readonly SKSurface _surface;
    private readonly SKTypeface _typeface;
    private readonly int _width, _height;
    private readonly float _right;
    private readonly double _xMin, _xMax, _yMin, _yMax;
    private readonly List<(string Text, SKColor Color)> _legend = new();
    private readonly bool _xTicks;

    /// <summary>
    /// A blank chart of <paramref name="width"/> x <paramref name="height"/> pixels over the given data ranges (widened when
    /// empty). <paramref name="legendWidth"/> &gt; 0 reserves a column right of the plot for the legend, so it hides no data.
    /// </summary>
    /// <paramref name="xTicks"/> false leaves the x axis unnumbered, for charts whose x positions are categories
    /// (label them with <see cref="CategoryLabel"/>).
    public PngChart(int width, int height, double xMin, double xMax, double yMin, double yMax, string title, string xLabel, string yLabel,
                    float legendWidth = 0, bool xTicks = true)
    {
        _xTicks = xTicks;
        _width = width;
        _right = 20 + legendWidth;
        _height = height;
        (_xMin, _xMax) = Widen(xMin, xMax);
        (_yMin, _yMax) = Widen(yMin, yMax);
        _surface = SKSurface.Create(new SKImageInfo(width, height)) ?? throw new InvalidOperationException("SkiaSharp could not create a drawing surface.");
        // SkiaSharp's default typeface here resolves to a maths font; DejaVu Sans is Debian's standard sans font.
        _typeface = SKTypeface.FromFamilyName("DejaVu Sans") ?? SKTypeface.Default;
        Canvas.Clear(SKColors.White);
        DrawFrame(title, xLabel, yLabel);
    }

    private SKCanvas Canvas => _surface.Canvas;

    /// <summary>Distinguishable colours for series and classes (Tableau 10).</summary>
    public static IReadOnlyList<SKColor> Palette { get; } = new[]
    {
        new SKColor(0x1f, 0x77, 0xb4), new SKColor(0xff, 0x7f, 0x0e), new SKColor(0x2c, 0xa0, 0x2c), new SKColor(0xd6, 0x27, 0x28),
        new SKColor(0x94, 0x67, 0xbd), new SKColor(0x8c, 0x56, 0x4b), new SKColor(0xe3, 0x77, 0xc2), new SKColor(0x7f, 0x7f, 0x7f),
        new SKColor(0xbc, 0xbd, 0x22), new SKColor(0x17, 0xbe, 0xcf),
    };

    /// <summary>A polyline through the points, in data coordinates.</summary>
    public void Line(IReadOnlyList<(double X, double Y)> points, SKColor color, float thickness = 2)
    {
        if (points.Count == 0) return;
        using var path = new SKPath();
        path.MoveTo(X(points[0].X), Y(points[0].Y));
        for (int i = 1; i < points.Count; i++) path.LineTo(X(points[i].X), Y(points[i].Y));
        using var paint = new SKPaint { Color = color, StrokeWidth = thickness, IsStroke = true, IsAntialias = true };
        Canvas.DrawPath(path, paint);
        if (points.Count == 1) Dots(points, color, thickness * 2);
    }

    /// <summary>Filled dots at the points, in data coordinates.</summary>
    public void Dots(IEnumerable<(double X, double Y)> points, SKColor color, float radius = 3)
    {
        using var paint = new SKPaint { Color = color, IsAntialias = true };
        foreach (var (x, y) in points) Canvas.DrawCircle(X(x), Y(y), radius, paint);
    }

    /// <summary>A filled bar from the bottom of the plot up to <paramref name="y"/>, centred on <paramref name="x"/>, in data coordinates.</summary>
    public void Bar(double x, double halfWidth, double y, SKColor color)
    {
        using var paint = new SKPaint { Color = color, IsAntialias = true };
        float top = Math.Max(Top, Y(Math.Min(y, _yMax)));
        Canvas.DrawRect(SKRect.Create(X(x - halfWidth), top, X(x + halfWidth) - X(x - halfWidth), _height - Bottom - top), paint);
    }

    /// <summary>A dashed horizontal line across the plot at <paramref name="y"/>, labelled at its left end unless <paramref name="label"/> is null.</summary>
    public void HorizontalLine(double y, SKColor color, string? label = null)
    {
        using var paint = new SKPaint { Color = color, StrokeWidth = 2, IsStroke = true, IsAntialias = true, PathEffect = SKPathEffect.CreateDash(new[] { 8f, 5f }, 0) };
        Canvas.DrawLine(Left, Y(y), _width - _right, Y(y), paint);
        if (label == null) return;
        using var font = new SKFont(_typeface, 12);
        using var text = new SKPaint { Color = color, IsAntialias = true };
        Canvas.DrawText(label, Left + 6, Y(y) - 4, font, text);
    }

    /// <summary>Text centred under the x axis at <paramref name="x"/> (data coordinates): a bar's category name.</summary>
    public void CategoryLabel(double x, string label)
    {
        using var font = new SKFont(_typeface, 12);
        using var text = new SKPaint { Color = SKColors.Black, IsAntialias = true };
        Canvas.DrawText(label, X(x) - Measure(font, label) / 2, _height - Bottom + 16, font, text);
    }

    /// <summary>Text centred above the point (<paramref name="x"/>, <paramref name="y"/>) in data coordinates: a bar's value.</summary>
    public void ValueLabel(double x, double y, string label)
    {
        using var font = new SKFont(_typeface, 12);
        using var text = new SKPaint { Color = SKColors.Black, IsAntialias = true };
        Canvas.DrawText(label, X(x) - Measure(font, label) / 2, Math.Max(Top + 12, Y(y) - 4), font, text);
    }

    /// <summary>Adds a legend entry (drawn at the top right on save).</summary>
    public void AddLegend(string text, SKColor color) => _legend.Add((text, color));

    /// <summary>Writes the chart to <paramref name="path"/> as PNG (through a temporary file, so a failed write leaves no half file).</summary>
    public void SavePng(string path)
    {
        DrawLegend();
        using SKImage image = _surface.Snapshot();
        using SKData data = image.Encode(SKEncodedImageFormat.Png, 100);
        string temporary = path + ".tmp";
        using (FileStream file = File.Create(temporary)) data.SaveTo(file);
        File.Move(temporary, path, overwrite: true);
    }

    /// <inheritdoc />
    public void Dispose() => _surface.Dispose();

    private float X(double x) => (float)(Left + (x - _xMin) / (_xMax - _xMin) * (_width - Left - _right));

    private float Y(double y) => (float)(_height - Bottom - (y - _yMin) / (_yMax - _yMin) * (_height - Top - Bottom));

    private static (double, double) Widen(double min, double max)
    {
        if (!double.IsFinite(min) || !double.IsFinite(max)) return (0, 1);
        if (max > min) return (min, max);
        double pad = Math.Abs(min) > 0 ? Math.Abs(min) * 0.1 : 1;
        return (min - pad, max + pad);
    }

    private void DrawFrame(string title, string xLabel, string yLabel)
    {
        using var axis = new SKPaint { Color = SKColors.Black, StrokeWidth = 1, IsStroke = true, IsAntialias = true };
        using var grid = new SKPaint { Color = new SKColor(0xe0, 0xe0, 0xe0), StrokeWidth = 1, IsStroke = true };
        using var text = new SKPaint { Color = SKColors.Black, IsAntialias = true };
        using var small = new SKFont(_typeface, 12);
        using var large = new SKFont(_typeface, 16);

        foreach (double tick in _xTicks ? Ticks(_xMin, _xMax) : Enumerable.Empty<double>())
        {
            Canvas.DrawLine(X(tick), Top, X(tick), _height - Bottom, grid);
            string label = TickLabel(tick);
            Canvas.DrawText(label, X(tick) - Measure(small, label) / 2, _height - Bottom + 16, small, text);
        }
        foreach (double tick in Ticks(_yMin, _yMax))
        {
            Canvas.DrawLine(Left, Y(tick), _width - _right, Y(tick), grid);
            string label = TickLabel(tick);
            Canvas.DrawText(label, Left - 6 - Measure(small, label), Y(tick) + 4, small, text);
        }
        Canvas.DrawRect(Left, Top, _width - Left - _right, _height - Top - Bottom, axis);
        Canvas.DrawText(title, (_width - Measure(large, title)) / 2, Top - 14, large, text);
        Canvas.DrawText(xLabel, Left + (_width - Left - _right - Measure(small, xLabel)) / 2, _height - 12, small, text);
        Canvas.Save();
        Canvas.RotateDegrees(-90);
        Canvas.DrawText(yLabel, -(Top + (_height - Top - Bottom + Measure(small, yLabel)) / 2), 16, small, text);
        Canvas.Restore();
    }

    private void DrawLegend()
    {
        if (_legend.Count == 0) return;
        using var font = new SKFont(_typeface, 12);
        float width = _legend.Max(l => Measure(font, l.Text)) + 28;
        // In the reserved column when there is one, otherwise inside the plot's top right corner.
        float x = _right > 20 ? _width - _right + 10 : _width - _right - width - 6, y = Top + 6;
        using var box = new SKPaint { Color = SKColors.White.WithAlpha(230) };
        using var border = new SKPaint { Color = SKColors.Gray, IsStroke = true };
        Canvas.DrawRect(x, y, width, _legend.Count * 16 + 6, box);
        Canvas.DrawRect(x, y, width, _legend.Count * 16 + 6, border);
        using var text = new SKPaint { Color = SKColors.Black, IsAntialias = true };
        for (int i = 0; i < _legend.Count; i++)
        {
            using var swatch = new SKPaint { Color = _legend[i].Color, IsAntialias = true };
            Canvas.DrawCircle(x + 12, y + 12 + i * 16, 4, swatch);
            Canvas.DrawText(_legend[i].Text, x + 22, y + 16 + i * 16, font, text);
        }
    }

    /// <summary>About five round tick values (1, 2 or 5 times a power of ten apart) inside [min, max].</summary>
    internal static IEnumerable<double> Ticks(double min, double max)
    {
        double raw = (max - min) / 5;
        double magnitude = Math.Pow(10, Math.Floor(Math.Log10(raw)));
        double step = new[] { 1.0, 2.0, 5.0, 10.0 }.Select(m => m * magnitude).First(s => s >= raw);
        for (double t = Math.Ceiling(min / step) * step; t <= max + step * 1e-9; t += step) yield return Math.Abs(t) < step * 1e-9 ? 0 : t;
    }

    private static float Measure(SKFont font, string text) => font.MeasureText(text);

    private static string TickLabel(double value) => value.ToString("G4", CultureInfo.InvariantCulture);
}
