using System.Net;
using System.Net.Sockets;
using Cctv.Functions.Auth;
using Cctv.TestSupport.Gcp;

namespace Cctv.Functions.Tests.Auth;

/// <summary>The OIDC check of Pub/Sub pushes and Scheduler calls, with Google.Apis.Auth verifying tokens signed by a local issuer.</summary>
public sealed class GoogleTokenVerifierTests : IAsyncLifetime
{
    private const string Audience = "cctv-functions.p";
    private const string Push = "push@p.iam.gserviceaccount.com";
    private TestTokenIssuer _issuer = null!;
    private GoogleTokenVerifier _verifier = null!;

    public async Task InitializeAsync()
    {
        _issuer = await TestTokenIssuer.StartAsync();
        _verifier = new GoogleTokenVerifier(new TokenPolicy([Audience], [Push], _issuer.CertificatesUrl));
    }

    public async Task DisposeAsync() => await _issuer.DisposeAsync();

    [Fact]
    public async Task ATokenOfAnAllowedAccount_ForTheAudience_IsValid()
    {
        TokenCheck check = await _verifier.CheckAsync("Bearer " + _issuer.Token(Audience, Push), CancellationToken.None);

        Assert.True(check.IsValid, check.Error);
        Assert.Equal(Push, check.Email);
    }

    [Theory]
    [InlineData(null, "no Authorization header")]
    [InlineData("", "no Authorization header")]
    [InlineData("Basic dXNlcjpwYXNz", "not a bearer token")]
    [InlineData("Bearer ", "empty")]
    [InlineData("Bearer not-a-jwt", "invalid token")]
    [InlineData("Bearer eyJhbGciOiJSUzI1NiJ9.e30.SIGNATURE_REMOVED_BY_GOOGLE", "invoker IAM check")]
    public async Task AMissingOrMalformedToken_Is401_WithTheReason(string? header, string reason)
    {
        TokenCheck check = await _verifier.CheckAsync(header, CancellationToken.None);

        Assert.False(check.IsValid);
        Assert.Equal(401, check.Status);
        Assert.Contains(reason, check.Error, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task TokensForAnotherAudience_Expired_FromAnotherIssuer_OrSignedWithAnotherKey_Are401()
    {
        string[] bad =
        [
            _issuer.Token("https://someone-else.example", Push),
            _issuer.Token(Audience, Push, lifetime: TimeSpan.FromMinutes(5), issuedAt: DateTimeOffset.UtcNow.AddHours(-2)),
            _issuer.Token(Audience, Push, issuer: "https://evil.example"),
            _issuer.Token(Audience, Push, signedByStranger: true),
        ];

        TokenCheck[] checks = await Task.WhenAll(bad.Select(t => _verifier.CheckAsync("Bearer " + t, CancellationToken.None)));

        Assert.All(checks, c => Assert.Equal((false, 401), (c.IsValid, c.Status)));
        Assert.Contains("aud", checks[0].Error);
        Assert.Contains("expired", checks[1].Error, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("iss", checks[2].Error);
        Assert.Contains("signature", checks[3].Error, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task AValidTokenOfAnAccountNotAllowedHere_OrWithAnUnverifiedEmail_Is403()
    {
        TokenCheck other = await _verifier.CheckAsync("Bearer " + _issuer.Token(Audience, "intruder@p.iam.gserviceaccount.com"), CancellationToken.None);
        TokenCheck unverified = await _verifier.CheckAsync("Bearer " + _issuer.Token(Audience, Push, emailVerified: false), CancellationToken.None);

        Assert.Equal((false, 403), (other.IsValid, other.Status));
        Assert.Contains("intruder@p.iam.gserviceaccount.com may not call this function", other.Error);
        Assert.Equal((false, 403), (unverified.IsValid, unverified.Status));
    }

    [Fact]
    public async Task WithNoAudienceConfigured_EveryTokenIsRefused()
    {
        var closed = new GoogleTokenVerifier(new TokenPolicy([], [Push], _issuer.CertificatesUrl));

        TokenCheck check = await closed.CheckAsync("Bearer " + _issuer.Token(Audience, Push), CancellationToken.None);

        Assert.Equal((false, 401), (check.IsValid, check.Status));
        Assert.Contains("no audience", check.Error);
    }

    [Fact]
    public async Task KeysThatCannotBeFetched_Are503_SoTheCallerTriesAgain()
    {
        int port;
        using (var probe = new TcpListener(IPAddress.Loopback, 0))
        {
            probe.Start();
            port = ((IPEndPoint)probe.LocalEndpoint).Port;
        }
        var unreachable = new GoogleTokenVerifier(new TokenPolicy([Audience], [Push], new Uri($"http://127.0.0.1:{port}/certs")));

        TokenCheck check = await unreachable.CheckAsync("Bearer " + _issuer.Token(Audience, Push), CancellationToken.None);

        Assert.Equal((false, 503), (check.IsValid, check.Status));
        Assert.Contains("signing keys could not be fetched", check.Error);
    }
}
