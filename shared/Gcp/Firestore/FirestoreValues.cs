using System.Collections;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Cctv.Shared.Gcp.Firestore;

/// <summary>A <c>referenceValue</c>: the full name of a document (<c>projects/p/databases/d/documents/c/id</c>).</summary>
public readonly record struct FirestoreReference(string Name);

/// <summary>A <c>geoPointValue</c>.</summary>
public readonly record struct FirestoreGeoPoint(double Latitude, double Longitude);

/// <summary>
/// Firestore's typed values in the REST (JSON) form, to and from .NET values:
/// null = <c>nullValue</c>, bool = <c>booleanValue</c>, long/int = <c>integerValue</c> (a decimal string on the wire),
/// double = <c>doubleValue</c>, <see cref="DateTimeOffset"/> = <c>timestampValue</c> (RFC 3339, UTC, up to nanoseconds),
/// string = <c>stringValue</c>, byte[] = <c>bytesValue</c> (base64), <see cref="FirestoreReference"/> = <c>referenceValue</c>,
/// <see cref="FirestoreGeoPoint"/> = <c>geoPointValue</c>, a sequence = <c>arrayValue</c>, a string-keyed dictionary = <c>mapValue</c>.
/// Decoding gives back those types (integers as long, arrays as <c>IReadOnlyList&lt;object?&gt;</c>, maps as
/// <c>IReadOnlyDictionary&lt;string, object?&gt;</c>).
/// </summary>
public static class FirestoreValues
{
    public static JsonObject Encode(object? value) => value switch
    {
        null => new JsonObject { ["nullValue"] = null },
        bool b => new JsonObject { ["booleanValue"] = b },
        long l => Integer(l),
        int i => Integer(i),
        double d => Double(d),
        DateTimeOffset t => new JsonObject { ["timestampValue"] = FormatTimestamp(t) },
        DateTime => throw new ArgumentException("Give timestamps as DateTimeOffset, not DateTime (whose kind may be unspecified).", nameof(value)),
        string s => new JsonObject { ["stringValue"] = s },
        byte[] bytes => new JsonObject { ["bytesValue"] = Convert.ToBase64String(bytes) },
        FirestoreReference r => new JsonObject { ["referenceValue"] = r.Name },
        FirestoreGeoPoint g => new JsonObject { ["geoPointValue"] = new JsonObject { ["latitude"] = g.Latitude, ["longitude"] = g.Longitude } },
        IEnumerable<KeyValuePair<string, object?>> map => new JsonObject { ["mapValue"] = new JsonObject { ["fields"] = EncodeFields(map) } },
        IEnumerable items => new JsonObject { ["arrayValue"] = new JsonObject { ["values"] = new JsonArray([.. items.Cast<object?>().Select(Encode)]) } },
        _ => throw new ArgumentException($"Firestore has no value type for {value.GetType().Name}.", nameof(value)),
    };

    /// <summary>The <c>fields</c> object of a document or map.</summary>
    public static JsonObject EncodeFields(IEnumerable<KeyValuePair<string, object?>> fields)
    {
        var result = new JsonObject();
        foreach ((string name, object? value) in fields)
        {
            result[name] = Encode(value);
        }
        return result;
    }

    public static object? Decode(JsonElement value)
    {
        if (value.ValueKind != JsonValueKind.Object)
        {
            throw new FormatException($"A Firestore value is an object, not {value.ValueKind}.");
        }
        foreach (JsonProperty p in value.EnumerateObject())
        {
            JsonElement v = p.Value;
            switch (p.Name)
            {
                case "nullValue":
                    return null;
                case "booleanValue":
                    return v.GetBoolean();
                case "integerValue":
                    return v.ValueKind == JsonValueKind.Number ? v.GetInt64() : long.Parse(v.GetString()!, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
                case "doubleValue":
                    return v.ValueKind == JsonValueKind.Number ? v.GetDouble() : ParseDouble(v.GetString()!);
                case "timestampValue":
                    return ParseTimestamp(v.GetString()!);
                case "stringValue":
                    return v.GetString()!;
                case "bytesValue":
                    return Convert.FromBase64String(v.GetString()!);
                case "referenceValue":
                    return new FirestoreReference(v.GetString()!);
                case "geoPointValue":
                    return new FirestoreGeoPoint(
                        v.TryGetProperty("latitude", out JsonElement lat) ? lat.GetDouble() : 0,
                        v.TryGetProperty("longitude", out JsonElement lng) ? lng.GetDouble() : 0);
                case "arrayValue":
                    return v.TryGetProperty("values", out JsonElement values)
                        ? values.EnumerateArray().Select(Decode).ToList()
                        : new List<object?>();
                case "mapValue":
                    return v.TryGetProperty("fields", out JsonElement fields) ? DecodeFields(fields) : new Dictionary<string, object?>();
            }
        }
        throw new FormatException($"Not a Firestore value this code knows: {value.GetRawText()}");
    }

    public static IReadOnlyDictionary<string, object?> DecodeFields(JsonElement fields)
    {
        var result = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (JsonProperty p in fields.EnumerateObject())
        {
            result[p.Name] = Decode(p.Value);
        }
        return result;
    }

    /// <summary>RFC 3339 in UTC with all seven fractional digits .NET holds (Firestore keeps microseconds).</summary>
    public static string FormatTimestamp(DateTimeOffset time) =>
        time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture);

    /// <summary>Parses RFC 3339 with 0 to 9 fractional digits and any offset; digits beyond .NET's 100 ns are dropped.</summary>
    public static DateTimeOffset ParseTimestamp(string text)
    {
        int dot = text.IndexOf('.', StringComparison.Ordinal);
        string normalized = text;
        if (dot > 0)
        {
            int end = dot + 1;
            while (end < text.Length && char.IsAsciiDigit(text[end]))
            {
                end++;
            }
            string digits = text[(dot + 1)..end];
            if (digits.Length == 0)
            {
                throw new FormatException($"'{text}' is not an RFC 3339 timestamp.");
            }
            normalized = text[..dot] + "." + (digits.Length > 7 ? digits[..7] : digits) + text[end..];
        }
        string[] formats = ["yyyy-MM-dd'T'HH:mm:ssK", "yyyy-MM-dd'T'HH:mm:ss.FFFFFFFK"];
        if (DateTimeOffset.TryParseExact(normalized, formats, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out DateTimeOffset t))
        {
            return t.ToUniversalTime();
        }
        throw new FormatException($"'{text}' is not an RFC 3339 timestamp.");
    }

    private static JsonObject Integer(long value) => new() { ["integerValue"] = value.ToString(CultureInfo.InvariantCulture) };

    private static JsonObject Double(double value) => new()
    {
        ["doubleValue"] = double.IsNaN(value) ? "NaN"
            : double.IsPositiveInfinity(value) ? "Infinity"
            : double.IsNegativeInfinity(value) ? "-Infinity"
            : JsonValue.Create(value),
    };

    private static double ParseDouble(string text) => text switch
    {
        "NaN" => double.NaN,
        "Infinity" => double.PositiveInfinity,
        "-Infinity" => double.NegativeInfinity,
        _ => double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture),
    };
}
