using System.Text;
using Cctv.Shared.Domain;
using Cctv.Shared.Evidence;

namespace Cctv.Shared.Tests.Evidence;

/// <summary>Each value has one encoding (docs/evidence-format.md, "Canonical encoding"), and a reader accepts nothing else.</summary>
public sealed class CanonicalEncodingTests
{
    private static readonly CameraKey Cam = new("rec-a", "cam1");
    private static readonly DateTimeOffset T = new(2026, 12, 1, 8, 0, 0, 250, TimeSpan.Zero);

    [Fact]
    public void Gap_Encoding_IsFixedOrderNoWhitespaceAndOnlyTheThreeEscapes()
    {
        ChainEntry gap = ChainEntry.Gap(Cam, 7, T, T.AddSeconds(1), "a \"b\" \\ c\n\u0001 é ✓ <&>", ChainEntry.NoPrevious);

        Assert.Equal(
            "{\"format\":\"cctv-chain/1\",\"recorder\":\"rec-a\",\"camera\":\"cam1\",\"index\":7,\"kind\":\"gap\"," +
            "\"start\":\"2026-12-01T08:00:00.250Z\",\"end\":\"2026-12-01T08:00:01.250Z\"," +
            "\"reason\":\"a \\\"b\\\" \\\\ c\\u000a\\u0001 é ✓ <&>\",\"prev\":\"" + new string('0', 64) + "\"}",
            Encoding.UTF8.GetString(gap.Bytes));
        Assert.DoesNotContain((byte)'\n', gap.Bytes);
        Assert.Equal(gap.Hash, ChainEntry.TryParse(gap.Bytes, out _)?.Hash);
    }

    [Fact]
    public void Time_OtherOffset_IsWrittenInUtc()
    {
        ChainEntry entry = ChainEntry.Gap(Cam, 0, T.ToOffset(TimeSpan.FromHours(2)), T.AddSeconds(1), "x", ChainEntry.NoPrevious);

        Assert.Contains("\"start\":\"2026-12-01T08:00:00.250Z\"", Encoding.UTF8.GetString(entry.Bytes), StringComparison.Ordinal);
    }

    [Fact]
    public void Time_FinerThanAMillisecond_IsRefused() =>
        Assert.Throws<ArgumentException>(() => ChainEntry.Gap(Cam, 0, T.AddTicks(1), T.AddSeconds(1), "x", ChainEntry.NoPrevious));

    [Fact]
    public void Reason_LoneSurrogate_IsRefused() =>
        Assert.Throws<ArgumentException>(() => ChainEntry.Gap(Cam, 0, T, T.AddSeconds(1), "bad \ud800", ChainEntry.NoPrevious));

    [Theory]
    [InlineData("\"index\":7", "\"index\":7.0")]
    [InlineData("\"index\":7", "\"index\":07")]
    [InlineData("\"kind\":\"gap\",", "\"kind\":\"gap\",\"kind\":\"gap\",")]
    [InlineData("\"camera\":\"cam1\",", "")]
    [InlineData(".250Z\",\"end\"", ".25Z\",\"end\"")]
    [InlineData("\\u000a", "\\n")]
    [InlineData("é", "\\u00e9")]
    [InlineData("}", "} ")]
    public void TryParse_AnyOtherBytesForTheSameEntry_AreRefused(string from, string to)
    {
        ChainEntry gap = ChainEntry.Gap(Cam, 7, T, T.AddSeconds(1), "é\n", ChainEntry.NoPrevious);
        string text = Encoding.UTF8.GetString(gap.Bytes);
        int at = text.IndexOf(from, StringComparison.Ordinal);
        Assert.True(at >= 0, $"'{from}' is not in {text}");
        string changed = text[..at] + to + text[(at + from.Length)..];

        Assert.Null(ChainEntry.TryParse(Encoding.UTF8.GetBytes(changed), out string? error));
        Assert.NotNull(error);
    }

    [Fact]
    public void Segment_RoundTrips_AndItsRecordingIdIsTheCatalogs()
    {
        ChainEntry segment = ChainEntry.Segment(Cam, 3, 2, 5, T, T.AddSeconds(4), 1234, new string('f', 64), new string('e', 64));

        ChainEntry? read = ChainEntry.TryParse(segment.Bytes, out _);

        Assert.Equal(segment.Hash, read?.Hash);
        Assert.Equal(RecordingId.For("rec-a", "cam1", 2, 5), read?.RecordingId);
    }
}
