using System.Text.Json;
using Cctv.Shared.Logging;
using Microsoft.Extensions.Logging;

namespace Cctv.Shared.Tests.Logging;

/// <summary>The log lines Cloud Logging reads on GCP: one JSON object per line with severity, message, time and the template's values.</summary>
public sealed class GcpJsonConsoleFormatterTests
{
    private static readonly DateTimeOffset At = new(2026, 1, 15, 3, 4, 5, 123, TimeSpan.Zero);

    [Theory]
    [InlineData(LogLevel.Trace, "DEBUG")]
    [InlineData(LogLevel.Debug, "DEBUG")]
    [InlineData(LogLevel.Information, "INFO")]
    [InlineData(LogLevel.Warning, "WARNING")]
    [InlineData(LogLevel.Error, "ERROR")]
    [InlineData(LogLevel.Critical, "CRITICAL")]
    public void EachLevel_HasItsCloudLoggingSeverity(LogLevel level, string severity)
    {
        using JsonDocument line = JsonDocument.Parse(GcpJsonConsoleFormatter.Format(level, "c", default, "m", null, null, At));

        Assert.Equal(severity, line.RootElement.GetProperty("severity").GetString());
    }

    [Fact]
    public void AnEntry_IsOneLineOfJson_WithTheMessageTimeLoggerAndTemplateValues()
    {
        var state = new List<KeyValuePair<string, object?>>
        {
            new("RecordingId", "3f1c"),
            new("Attempt", 4),
            new("Transient", true),
            new("Share", 0.5),
            new("{OriginalFormat}", "Retry of {RecordingId}, attempt {Attempt}"),
        };

        string text = GcpJsonConsoleFormatter.Format(LogLevel.Warning, "Cctv.Functions.Retry.RetryHandlerFunction", new EventId(7), "Retry of 3f1c, attempt 4\nsecond line",
            null, state, At);

        Assert.DoesNotContain('\n', text);
        using JsonDocument line = JsonDocument.Parse(text);
        JsonElement e = line.RootElement;
        Assert.Equal(("WARNING", "Retry of 3f1c, attempt 4\nsecond line", "2026-01-15T03:04:05.1230000Z"),
            (e.GetProperty("severity").GetString(), e.GetProperty("message").GetString(), e.GetProperty("time").GetString()));
        Assert.Equal(("Cctv.Functions.Retry.RetryHandlerFunction", 7), (e.GetProperty("logger").GetString(), e.GetProperty("event_id").GetInt32()));
        JsonElement fields = e.GetProperty("fields");
        Assert.Equal(("3f1c", 4, true, 0.5), (fields.GetProperty("RecordingId").GetString(), fields.GetProperty("Attempt").GetInt32(),
            fields.GetProperty("Transient").GetBoolean(), fields.GetProperty("Share").GetDouble()));
        Assert.Equal("Retry of {RecordingId}, attempt {Attempt}", fields.GetProperty("message_template").GetString());
    }

    [Fact]
    public void TextIsKeptReadable_NonAsciiAndPlusSignsAreNotEscaped()
    {
        string text = GcpJsonConsoleFormatter.Format(LogLevel.Information, "c", default, "Caméra « Entrée » +1 \"quoted\"", null, null, At);

        Assert.Contains("Caméra « Entrée » +1 \\\"quoted\\\"", text);
        using JsonDocument line = JsonDocument.Parse(text);
        Assert.Equal("Caméra « Entrée » +1 \"quoted\"", line.RootElement.GetProperty("message").GetString());
    }

    [Fact]
    public void AnException_GoesIntoTheMessageWithItsStackTrace_ForErrorReporting()
    {
        Exception error;
        try
        {
            throw new InvalidOperationException("archive holds other bytes");
        }
        catch (InvalidOperationException e)
        {
            error = e;
        }

        using JsonDocument line = JsonDocument.Parse(GcpJsonConsoleFormatter.Format(LogLevel.Error, "c", default, "Processing failed", error, null, At));

        string message = line.RootElement.GetProperty("message").GetString()!;
        Assert.StartsWith("Processing failed\nSystem.InvalidOperationException: archive holds other bytes", message);
        Assert.Contains("   at ", message);
    }
}
