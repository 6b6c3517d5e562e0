using System.Globalization;
using Cctv.Shared.Domain;

namespace Cctv.Functions.Reconcile;

/// <summary>
/// How long archived recordings are kept, per camera: a default and overrides, in days; 0 keeps them forever.
/// Written as in <c>CCTV_RETENTION_DAYS</c>: <c>30</c>, or <c>30,rec-a~gate=90,rec-b~dock=0</c> (default first, then
/// camera key=days). An override names the camera by its key (<see cref="CameraKey"/>, recorder and camera): another
/// site's <c>gate</c> is another camera and keeps the default. A bare camera ID is refused, saying how to write it.
/// </summary>
public sealed record RetentionPolicy(int DefaultDays, IReadOnlyDictionary<CameraKey, int> CameraDays)
{
    public static readonly RetentionPolicy KeepForever = new(0, new Dictionary<CameraKey, int>());

    /// <summary>How long this camera's recordings are kept, or null to keep them forever.</summary>
    public TimeSpan? For(CameraKey camera) =>
        (CameraDays.TryGetValue(camera, out int days) ? days : DefaultDays) is > 0 and var d ? TimeSpan.FromDays(d) : null;

    /// <summary>Parses the variable's value; throws <see cref="FormatException"/> naming what is wrong.</summary>
    public static RetentionPolicy Parse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return KeepForever;
        }
        int defaultDays = 0;
        var cameras = new Dictionary<CameraKey, int>();
        string[] parts = text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        for (int i = 0; i < parts.Length; i++)
        {
            string part = parts[i];
            int eq = part.IndexOf('=', StringComparison.Ordinal);
            string camera = eq < 0 ? "" : part[..eq].Trim();
            string days = eq < 0 ? part : part[(eq + 1)..].Trim();
            if (!int.TryParse(days, NumberStyles.None, CultureInfo.InvariantCulture, out int value) || value > 36_500)
            {
                throw new FormatException($"'{part}' is not a number of days (0 to 36500; 0 keeps recordings forever)");
            }
            if (eq < 0)
            {
                if (i != 0)
                {
                    throw new FormatException($"'{part}': the default number of days comes first; cameras are written camera=days");
                }
                defaultDays = value;
            }
            else if (Identifiers.IsValidSlug(camera))
            {
                throw new FormatException(
                    $"'{part}': a camera override names the camera's recorder too, RECORDER{CameraKey.Separator}{camera}={days} (another site's {camera} is another camera)");
            }
            else if (!CameraKey.TryParse(camera, out CameraKey key) || !cameras.TryAdd(key, value))
            {
                throw new FormatException($"'{part}': '{camera}' is not a camera key RECORDER{CameraKey.Separator}CAMERA ({Identifiers.SlugRule} each) or is given twice");
            }
        }
        return new RetentionPolicy(defaultDays, cameras);
    }
}
