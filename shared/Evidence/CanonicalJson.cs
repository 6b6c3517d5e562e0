using System.Buffers;
using System.Globalization;
using System.Text;

namespace Cctv.Shared.Evidence;

/// <summary>
/// The one byte form of an evidence record (docs/evidence-format.md, "Canonical encoding"): a JSON object on one line,
/// its members in the record's fixed order, no whitespace, UTF-8. Strings escape <c>"</c> and <c>\</c> as <c>\"</c> and
/// <c>\\</c>, every character below U+0020 as <c>\u00xx</c> (lowercase hex) and nothing else; integers are decimal,
/// non-negative, without sign, leading zeros or exponent, at most 2^53-1; times are strings
/// <c>yyyy-MM-ddTHH:mm:ss.fffZ</c> (UTC, exactly three fraction digits). So every value has exactly one encoding, and a
/// reader checks a record by decoding it and encoding it again: any other bytes (reordered or extra members,
/// whitespace, other escapes) are not the record.
/// </summary>
internal sealed class CanonicalJson
{
    public const long MaxInteger = (1L << 53) - 1;
    private const string TimeFormat = "yyyy-MM-dd'T'HH:mm:ss.fff'Z'";

    private readonly ArrayBufferWriter<byte> _buffer = new();
    private bool _first = true;

    public CanonicalJson() => Raw("{");

    public CanonicalJson String(string name, string value)
    {
        Name(name);
        Quoted(value);
        return this;
    }

    public CanonicalJson Integer(string name, long value)
    {
        if (value is < 0 or > MaxInteger)
        {
            throw new ArgumentOutOfRangeException(name, value, $"'{name}' must be an integer from 0 to 2^53-1.");
        }
        Name(name);
        Raw(value.ToString(CultureInfo.InvariantCulture));
        return this;
    }

    public CanonicalJson Time(string name, DateTimeOffset value) => String(name, FormatTime(value, name));

    public byte[] ToBytes()
    {
        Raw("}");
        return _buffer.WrittenSpan.ToArray();
    }

    /// <summary>A time in the canonical form; a time finer than a millisecond has none (it would not survive a round trip).</summary>
    public static string FormatTime(DateTimeOffset value, string name)
    {
        if (value.UtcTicks % TimeSpan.TicksPerMillisecond != 0)
        {
            throw new ArgumentException($"'{name}' ({value:O}) is finer than a millisecond; evidence times are whole milliseconds.", name);
        }
        if (value.UtcDateTime.Year is < 1 or > 9999)
        {
            throw new ArgumentOutOfRangeException(name, value, $"'{name}' is out of range.");
        }
        return value.UtcDateTime.ToString(TimeFormat, CultureInfo.InvariantCulture);
    }

    /// <summary>Reads a canonical time; null when <paramref name="text"/> is not one.</summary>
    public static DateTimeOffset? ParseTime(string text) =>
        text.Length == 24 && DateTime.TryParseExact(text, TimeFormat, CultureInfo.InvariantCulture,
            DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out DateTime t)
            ? new DateTimeOffset(t, TimeSpan.Zero)
            : null;

    private void Name(string name)
    {
        if (!_first)
        {
            Raw(",");
        }
        _first = false;
        Quoted(name);
        Raw(":");
    }

    private void Quoted(string value)
    {
        var text = new StringBuilder(value.Length + 2).Append('"');
        for (int i = 0; i < value.Length; i++)
        {
            char c = value[i];
            switch (c)
            {
                case '"': text.Append("\\\""); break;
                case '\\': text.Append("\\\\"); break;
                case < ' ': text.Append("\\u00").Append(((int)c).ToString("x2", CultureInfo.InvariantCulture)); break;
                default: text.Append(c); break;
            }
        }
        Raw(text.Append('"').ToString());
    }

    /// <summary>Strict: a lone surrogate has no UTF-8 form and is an error, never a replacement character.</summary>
    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private void Raw(string text)
    {
        try
        {
            _buffer.Write(Utf8.GetBytes(text));
        }
        catch (EncoderFallbackException e)
        {
            throw new ArgumentException("A string of an evidence record holds a lone surrogate, which UTF-8 cannot encode.", e);
        }
    }
}
