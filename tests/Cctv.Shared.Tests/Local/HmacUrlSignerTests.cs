using System.Web;
using Cctv.Shared.Local;
using Cctv.Shared.Ports;
using Cctv.TestSupport;

namespace Cctv.Shared.Tests.Local;

public sealed class HmacUrlSignerTests
{
    private static readonly Uri Endpoint = new("http://127.0.0.1:8080");
    private readonly ManualClock _clock = new(new DateTimeOffset(2026, 1, 15, 3, 10, 0, TimeSpan.Zero));
    private readonly HmacUrlSigner _signer;

    public HmacUrlSignerTests() => _signer = new HmacUrlSigner(new byte[32], _clock);

    private async Task<(string Bucket, string Object, System.Collections.Specialized.NameValueCollection Query)> SignAsync(string? disposition = null)
    {
        Uri url = await _signer.SignAsync(new SignedUrlRequest("cctv-archive", "recordings/cam 7/x.mp4", TimeSpan.FromMinutes(120), disposition, Endpoint: Endpoint), CancellationToken.None);
        string[] path = url.AbsolutePath[HmacUrlSigner.PathPrefix.Length..].Split('/', 2);
        return (Uri.UnescapeDataString(path[0]), Uri.UnescapeDataString(path[1]), HttpUtility.ParseQueryString(url.Query));
    }

    private UrlCheck Check((string Bucket, string Object, System.Collections.Specialized.NameValueCollection Query) s) =>
        _signer.Verify(s.Bucket, s.Object, s.Query[HmacUrlSigner.ExpiresParameter], s.Query[HmacUrlSigner.SignatureParameter],
            s.Query[HmacUrlSigner.DispositionParameter], s.Query[HmacUrlSigner.ContentTypeParameter]);

    [Fact]
    public async Task SignedUrl_IsValidUntilItExpires()
    {
        var signed = await SignAsync("attachment; filename=\"x.mp4\"");
        Assert.Equal("recordings/cam 7/x.mp4", signed.Object);
        Assert.Equal(UrlCheck.Valid, Check(signed));
        _clock.Advance(TimeSpan.FromMinutes(119));
        Assert.Equal(UrlCheck.Valid, Check(signed));
        _clock.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(UrlCheck.Expired, Check(signed));
    }

    [Fact]
    public async Task TamperingWithObjectExpiryOrOverrides_BreaksTheSignature()
    {
        var signed = await SignAsync("inline");
        Assert.Equal(UrlCheck.BadSignature, Check(signed with { Object = "recordings/cam 8/x.mp4" }));
        Assert.Equal(UrlCheck.BadSignature, Check(signed with { Bucket = "cctv-staging" }));
        var later = new System.Collections.Specialized.NameValueCollection(signed.Query) { [HmacUrlSigner.ExpiresParameter] = "9999999999" };
        Assert.Equal(UrlCheck.BadSignature, Check(signed with { Query = later }));
        var download = new System.Collections.Specialized.NameValueCollection(signed.Query) { [HmacUrlSigner.DispositionParameter] = "attachment" };
        Assert.Equal(UrlCheck.BadSignature, Check(signed with { Query = download }));
        var noSignature = new System.Collections.Specialized.NameValueCollection(signed.Query);
        noSignature.Remove(HmacUrlSigner.SignatureParameter);
        Assert.Equal(UrlCheck.Malformed, Check(signed with { Query = noSignature }));
    }

    [Fact]
    public async Task Lifetime_BeyondSevenDays_IsRefused() =>
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() =>
            _signer.SignAsync(new SignedUrlRequest("b", "o", TimeSpan.FromDays(8), Endpoint: Endpoint), CancellationToken.None));
}
