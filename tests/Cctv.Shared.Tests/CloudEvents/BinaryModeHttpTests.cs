using System.Text;
using Cctv.Shared.CloudEvents;

namespace Cctv.Shared.Tests.CloudEvents;

public sealed class BinaryModeHttpTests
{
    [Fact]
    public async Task ToRequest_ThenTryParse_RoundTripsEveryAttribute()
    {
        var original = new CloudEvent("id-1", CloudEvent.StorageSource("b"), CloudEvent.StorageObjectFinalized, "objects/x.mp4",
            new DateTimeOffset(2026, 1, 15, 3, 10, 0, 123, TimeSpan.Zero), "application/json", Encoding.UTF8.GetBytes("{\"name\":\"x.mp4\"}"));
        using HttpRequestMessage request = BinaryModeHttp.ToRequest(original, new Uri("http://127.0.0.1/"));
        byte[] body = await request.Content!.ReadAsByteArrayAsync();

        CloudEvent? parsed = BinaryModeHttp.TryParse(h => request.Headers.TryGetValues(h, out var v) ? v.First() : null,
            request.Content.Headers.ContentType?.ToString(), body, out string? error);

        Assert.Null(error);
        Assert.NotNull(parsed);
        Assert.Equal(original with { Data = default }, parsed with { Data = default });
        Assert.Equal(original.Data.ToArray(), parsed.Data.ToArray());
    }

    [Theory]
    [InlineData("ce-id")]
    [InlineData("ce-source")]
    [InlineData("ce-type")]
    [InlineData("ce-specversion")]
    public void TryParse_WithoutARequiredAttribute_SaysWhichOne(string missing)
    {
        var headers = new Dictionary<string, string> { ["ce-id"] = "1", ["ce-source"] = "s", ["ce-type"] = "t", ["ce-specversion"] = "1.0" };
        headers.Remove(missing);
        Assert.Null(BinaryModeHttp.TryParse(h => headers.GetValueOrDefault(h), "application/json", Array.Empty<byte>(), out string? error));
        Assert.Contains(missing, error);
    }

    [Fact]
    public void TryParse_RefusesAnotherSpecVersionAndABadTime()
    {
        var headers = new Dictionary<string, string> { ["ce-id"] = "1", ["ce-source"] = "s", ["ce-type"] = "t", ["ce-specversion"] = "0.3" };
        Assert.Null(BinaryModeHttp.TryParse(h => headers.GetValueOrDefault(h), null, Array.Empty<byte>(), out string? error));
        Assert.Contains("specversion", error);
        headers["ce-specversion"] = "1.0";
        headers["ce-time"] = "yesterday";
        Assert.Null(BinaryModeHttp.TryParse(h => headers.GetValueOrDefault(h), null, Array.Empty<byte>(), out error));
        Assert.Contains("ce-time", error);
    }
}
