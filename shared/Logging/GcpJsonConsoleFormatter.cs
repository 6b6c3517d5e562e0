using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Console;

namespace Cctv.Shared.Logging;

/// <summary>
/// One JSON object per line, in the shape Cloud Logging reads from a container's stdout: <c>severity</c> (DEBUG, INFO,
/// WARNING, ERROR, CRITICAL), <c>message</c> (with the exception and its stack trace, which Error Reporting picks up),
/// <c>time</c>, the logger's category, and the message template's values under <c>fields</c> (jsonPayload.fields.*).
/// As the Functions Framework's JsonConsoleLogger does; used when CCTV_BACKEND=gcp.
/// </summary>
public sealed class GcpJsonConsoleFormatter(TimeProvider time) : ConsoleFormatter(FormatterName)
{
    public const string FormatterName = "gcp-json";

    // Log lines are read by Cloud Logging and by people, never embedded in HTML: '+', '<' and non-ASCII text (camera
    // names) stay as they are; quotes, backslashes and control characters are still escaped, so a line stays one line.
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public override void Write<TState>(in LogEntry<TState> logEntry, IExternalScopeProvider? scopeProvider, TextWriter textWriter)
    {
        string? message = logEntry.Formatter?.Invoke(logEntry.State, logEntry.Exception);
        if (message is null && logEntry.Exception is null)
        {
            return;
        }
        textWriter.Write(Format(logEntry.LogLevel, logEntry.Category, logEntry.EventId, message, logEntry.Exception, logEntry.State, time.GetUtcNow()));
        textWriter.Write('\n');
    }

    /// <summary>The JSON line (without the newline) for one entry.</summary>
    public static string Format(LogLevel level, string category, EventId eventId, string? message, Exception? exception, object? state, DateTimeOffset at)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, WriterOptions))
        {
            json.WriteStartObject();
            json.WriteString("severity", Severity(level));
            json.WriteString("message", exception is null ? message : $"{message}\n{exception}");
            json.WriteString("time", at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture));
            json.WriteString("logger", category);
            if (eventId.Id != 0)
            {
                json.WriteNumber("event_id", eventId.Id);
            }
            if (state is IReadOnlyList<KeyValuePair<string, object?>> values && values.Count > 0)
            {
                json.WriteStartObject("fields");
                foreach ((string key, object? value) in values)
                {
                    WriteValue(json, key == "{OriginalFormat}" ? "message_template" : key, value);
                }
                json.WriteEndObject();
            }
            json.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    public static string Severity(LogLevel level) => level switch
    {
        LogLevel.Trace or LogLevel.Debug => "DEBUG",
        LogLevel.Information => "INFO",
        LogLevel.Warning => "WARNING",
        LogLevel.Error => "ERROR",
        LogLevel.Critical => "CRITICAL",
        _ => "DEFAULT",
    };

    private static void WriteValue(Utf8JsonWriter json, string key, object? value)
    {
        switch (value)
        {
            case null:
                json.WriteNull(key);
                break;
            case bool b:
                json.WriteBoolean(key, b);
                break;
            case int or long or short or byte or uint or ulong or ushort:
                json.WriteNumber(key, Convert.ToInt64(value, CultureInfo.InvariantCulture));
                break;
            case double or float or decimal:
                double d = Convert.ToDouble(value, CultureInfo.InvariantCulture);
                if (double.IsFinite(d))
                {
                    json.WriteNumber(key, d);
                }
                else
                {
                    json.WriteString(key, d.ToString(CultureInfo.InvariantCulture));
                }
                break;
            case DateTimeOffset t:
                json.WriteString(key, t.UtcDateTime.ToString("O", CultureInfo.InvariantCulture));
                break;
            default:
                json.WriteString(key, Convert.ToString(value, CultureInfo.InvariantCulture));
                break;
        }
    }
}
