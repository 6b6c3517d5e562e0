using System.Globalization;
using System.Text.Json;

namespace Cctv.Shared.Domain;

/// <summary>
/// One JSON object for a <see cref="ClockState"/>, as the outbox and the SQLite catalog keep it and the API returns it:
/// <c>{"readAt":"...Z","synchronised":true,"offsetMicros":12,"maxErrorMicros":5000,"estimatedErrorMicros":300,"source":"adjtimex"}</c>
/// (an unknown quantity is null). Null in, null out.
/// </summary>
public static class ClockStateJson
{
    public static string? Write(ClockState? state)
    {
        if (state is null)
        {
            return null;
        }
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            WriteObject(w, state);
        }
        return System.Text.Encoding.UTF8.GetString(buffer.ToArray());
    }

    public static void WriteObject(Utf8JsonWriter w, ClockState state)
    {
        w.WriteStartObject();
        w.WriteString("readAt", state.ReadAt.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture));
        w.WriteBoolean("synchronised", state.Synchronised);
        Micros(w, "offsetMicros", state.Offset);
        Micros(w, "maxErrorMicros", state.MaxError);
        Micros(w, "estimatedErrorMicros", state.EstimatedError);
        w.WriteString("source", state.Source);
        w.WriteEndObject();

        static void Micros(Utf8JsonWriter w, string name, TimeSpan? value)
        {
            if (value is { } v)
            {
                w.WriteNumber(name, (long)Math.Round(v.TotalMicroseconds));
            }
            else
            {
                w.WriteNull(name);
            }
        }
    }

    /// <exception cref="FormatException">Not a clock state this wrote.</exception>
    public static ClockState? Parse(string? json)
    {
        if (json is null)
        {
            return null;
        }
        try
        {
            using JsonDocument doc = JsonDocument.Parse(json);
            JsonElement e = doc.RootElement;
            return new ClockState(
                DateTimeOffset.Parse(e.GetProperty("readAt").GetString()!, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal),
                e.GetProperty("synchronised").GetBoolean(),
                Micros(e, "offsetMicros"), Micros(e, "maxErrorMicros"), Micros(e, "estimatedErrorMicros"),
                e.GetProperty("source").GetString()!);
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new FormatException($"Not a clock state: {ex.Message}", ex);
        }

        static TimeSpan? Micros(JsonElement e, string name) =>
            e.GetProperty(name) is { ValueKind: JsonValueKind.Number } n ? TimeSpan.FromMicroseconds(n.GetInt64()) : null;
    }
}
