using System.Globalization;

namespace Cctv.EdgeRecorder.Commands;

/// <summary>Parses durations people type: 30s, 5m, 2h, 1d, or a TimeSpan such as 00:05:00.</summary>
public static class DurationText
{
    public static bool TryParse(string? text, out TimeSpan value)
    {
        value = default;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }
        text = text.Trim();
        char unit = text[^1];
        if (char.IsLetter(unit) && double.TryParse(text[..^1], NumberStyles.Float, CultureInfo.InvariantCulture, out double n) && n > 0 && double.IsFinite(n))
        {
            double seconds = unit switch { 's' => n, 'm' => n * 60, 'h' => n * 3600, 'd' => n * 86400, _ => double.NaN };
            if (double.IsNaN(seconds) || seconds > TimeSpan.MaxValue.TotalSeconds / 2)
            {
                return false;
            }
            value = TimeSpan.FromSeconds(seconds);
            return true;
        }
        return TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out value) && value > TimeSpan.Zero;
    }
}
