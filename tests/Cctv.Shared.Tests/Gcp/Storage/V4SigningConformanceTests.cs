using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Cctv.Shared.Gcp.Storage;

namespace Cctv.Shared.Tests.Gcp.Storage;

/// <summary>
/// Every case of Google's V4 signing conformance vectors (tests/testdata/gcs-conformance/v4_signatures.json, Apache-2.0,
/// copied from googleapis/conformance-tests with its LICENSE), signed with the dummy service-account key beside it:
/// the canonical request, the string to sign and the final URL, byte for byte. The file's POST policy cases
/// (postPolicyV4Tests) are not applicable: this system signs URLs, it never builds HTML form policies.
/// </summary>
public sealed class V4SigningConformanceTests
{
    /// <summary>
    /// The one case whose expected canonical request does not hash to the string to sign it expects: it shows the
    /// path-style path (/test-bucket/test-object) while its URL and string to sign are virtual-hosted (/test-object).
    /// The string to sign and the URL are what Cloud Storage checks, so those are asserted for it.
    /// </summary>
    private const string InconsistentCase = "Universe domain with virtual hosted style";

    private static readonly string Dir = Path.Combine(AppContext.BaseDirectory, "testdata", "gcs-conformance");
    private static readonly Lazy<JsonElement[]> Cases = new(() =>
    {
        using JsonDocument doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(Dir, "v4_signatures.json")));
        return [.. doc.RootElement.GetProperty("signingV4Tests").EnumerateArray().Select(e => e.Clone())];
    });

    private static readonly Lazy<ServiceAccountKeySigner> Key = new(() => ServiceAccountKeySigner.FromFile(Path.Combine(Dir, "test_service_account.not-a-test.json")));

    public static TheoryData<string> Descriptions()
    {
        var data = new TheoryData<string>();
        foreach (JsonElement c in Cases.Value)
        {
            data.Add(c.GetProperty("description").GetString()!);
        }
        return data;
    }

    [Fact]
    public void TheVectorsAreInTheRepository_AllTwentyNineOfThem()
    {
        Assert.True(File.Exists(Path.Combine(Dir, "LICENSE")), "the Apache-2.0 LICENSE travels with Google's test data");
        Assert.Equal(29, Cases.Value.Length);
    }

    [Theory]
    [MemberData(nameof(Descriptions))]
    public async Task Vector_CanonicalRequestStringToSignAndUrl_MatchGoogles(string description)
    {
        JsonElement c = Cases.Value.Single(e => e.GetProperty("description").GetString() == description);
        (V4SigningRequest request, V4UrlEndpoint endpoint) = Read(c);

        V4SignedParts parts = V4Signing.Prepare(request, Key.Value.ClientEmail, endpoint);
        byte[] signature = await Key.Value.SignAsync(Encoding.UTF8.GetBytes(parts.StringToSign), CancellationToken.None);

        string expectedCanonical = c.GetProperty("expectedCanonicalRequest").GetString()!;
        string expectedToSign = c.GetProperty("expectedStringToSign").GetString()!;
        if (description == InconsistentCase)
        {
            Assert.NotEqual(Sha256Hex(expectedCanonical), expectedToSign.Split('\n')[^1]);
            Assert.Equal(expectedCanonical.Replace("GET\n/test-bucket/test-object\n", "GET\n/test-object\n", StringComparison.Ordinal), parts.CanonicalRequest);
        }
        else
        {
            Assert.Equal(expectedCanonical, parts.CanonicalRequest);
        }
        Assert.Equal(expectedToSign, parts.StringToSign);
        Assert.Equal(c.GetProperty("expectedUrl").GetString(), parts.Complete(signature));
    }

    [Fact]
    public async Task GcsUrlSigner_OnTheVectorsClock_SignsTheSimpleGetExactlyAsGoogle()
    {
        JsonElement c = Cases.Value.Single(e => e.GetProperty("description").GetString() == "Simple GET");
        var clock = new TestSupport.ManualClock(DateTimeOffset.Parse("2019-02-01T09:00:00Z", CultureInfo.InvariantCulture));
        var signer = new GcsUrlSigner(Key.Value, clock);

        Uri url = await signer.SignAsync(new Ports.SignedUrlRequest("test-bucket", "test-object", TimeSpan.FromSeconds(10)), CancellationToken.None);

        Assert.Equal(c.GetProperty("expectedUrl").GetString(), url.AbsoluteUri);
    }

    [Fact]
    public async Task IamBlobSigner_ThroughGoogleApisAuthsBlobSigner_GivesTheSameUrl_ButLivesAtMostTwelveHours()
    {
        JsonElement c = Cases.Value.Single(e => e.GetProperty("description").GetString() == "Simple GET");
        var clock = new TestSupport.ManualClock(DateTimeOffset.Parse("2019-02-01T09:00:00Z", CultureInfo.InvariantCulture));
        var iam = new IamBlobSigner(new KeyBackedBlobSigner(Key.Value), _ => Task.FromResult(Key.Value.ClientEmail));
        var signer = new GcsUrlSigner(iam, clock);

        Uri url = await signer.SignAsync(new Ports.SignedUrlRequest("test-bucket", "test-object", TimeSpan.FromSeconds(10)), CancellationToken.None);

        Assert.Equal(c.GetProperty("expectedUrl").GetString(), url.AbsoluteUri);
        Assert.Equal(TimeSpan.FromHours(12), signer.MaxLifetime);
        Assert.Equal(TimeSpan.FromDays(7), new GcsUrlSigner(Key.Value, clock).MaxLifetime);
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() =>
            signer.SignAsync(new Ports.SignedUrlRequest("test-bucket", "test-object", TimeSpan.FromHours(13)), CancellationToken.None));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() =>
            new GcsUrlSigner(Key.Value, clock).SignAsync(new Ports.SignedUrlRequest("b", "o", TimeSpan.FromDays(7) + TimeSpan.FromSeconds(1)), CancellationToken.None));
    }

    [Fact]
    public async Task IamCredentialsSignBlob_AsADedicatedAccount_SendsThePayloadAndUsesTheSignedBlob_AfterA503()
    {
        JsonElement c = Cases.Value.Single(e => e.GetProperty("description").GetString() == "Simple GET");
        int calls = 0;
        using var iam = new StubHttpServer(request =>
        {
            if (Interlocked.Increment(ref calls) == 1)
            {
                return (503, """{"error":{"code":503,"status":"UNAVAILABLE","message":"try again"}}""");
            }
            using JsonDocument body = JsonDocument.Parse(request.Body);
            byte[] payload = Convert.FromBase64String(body.RootElement.GetProperty("payload").GetString()!);
            byte[] signature = Key.Value.SignAsync(payload, CancellationToken.None).AsTask().Result;
            return (200, JsonSerializer.Serialize(new { keyId = "k1", signedBlob = Convert.ToBase64String(signature) }));
        });
        using Cctv.Shared.Gcp.GcpEndpoint endpoint = TestSupport.Gcp.GcloudEmulator.Endpoint(IamCredentialsBlobSigner.Service, iam.HostPort, transientRetries: 2);
        var clock = new TestSupport.ManualClock(DateTimeOffset.Parse("2019-02-01T09:00:00Z", CultureInfo.InvariantCulture));
        var signer = new GcsUrlSigner(IamBlobSigner.ForServiceAccount(endpoint, Key.Value.ClientEmail), clock);

        Uri url = await signer.SignAsync(new Ports.SignedUrlRequest("test-bucket", "test-object", TimeSpan.FromSeconds(10)), CancellationToken.None);

        Assert.Equal(c.GetProperty("expectedUrl").GetString(), url.AbsoluteUri);
        Assert.Equal(2, iam.Requests.Count);
        Assert.All(iam.Requests, r => Assert.Equal(
            "/v1/projects/-/serviceAccounts/test-iam-credentials%40dummy-project-id.iam.gserviceaccount.com:signBlob", r.PathAndQuery));
    }

    [Fact]
    public async Task ResponseOverrides_AreSignedQueryParameters_ThatTheKeysPublicHalfVerifies()
    {
        var clock = new TestSupport.ManualClock(new DateTimeOffset(2026, 1, 15, 3, 10, 0, TimeSpan.Zero));
        var signer = new GcsUrlSigner(Key.Value, clock);

        Uri url = await signer.SignAsync(new Ports.SignedUrlRequest("cctv-archive", "recordings/cam 1/a b.mp4", TimeSpan.FromMinutes(120),
            "attachment; filename=\"cam1_20260115T031000Z.mp4\"", "video/mp4"), CancellationToken.None);

        string query = url.Query;
        Assert.StartsWith("https://storage.googleapis.com/cctv-archive/recordings/cam%201/a%20b.mp4?", url.AbsoluteUri, StringComparison.Ordinal);
        Assert.Contains("X-Goog-Expires=7200", query, StringComparison.Ordinal);
        Assert.Contains("X-Goog-Date=20260115T031000Z", query, StringComparison.Ordinal);
        Assert.Contains("response-content-disposition=attachment%3B%20filename%3D%22cam1_20260115T031000Z.mp4%22", query, StringComparison.Ordinal);
        Assert.Contains("response-content-type=video%2Fmp4", query, StringComparison.Ordinal);

        // Rebuild the string to sign from the request and check the signature with the public key alone.
        V4SignedParts parts = V4Signing.Prepare(new V4SigningRequest("GET", "cctv-archive", "recordings/cam 1/a b.mp4", clock.GetUtcNow(), TimeSpan.FromMinutes(120),
            QueryParameters: new Dictionary<string, string>
            {
                ["response-content-disposition"] = "attachment; filename=\"cam1_20260115T031000Z.mp4\"",
                ["response-content-type"] = "video/mp4",
            }), Key.Value.ClientEmail, V4UrlEndpoint.Production);
        byte[] signature = Convert.FromHexString(query[(query.IndexOf("X-Goog-Signature=", StringComparison.Ordinal) + "X-Goog-Signature=".Length)..]);
        using RSA publicKey = RSA.Create();
        publicKey.ImportParameters(PublicHalf());
        Assert.True(publicKey.VerifyData(Encoding.UTF8.GetBytes(parts.StringToSign), signature, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1));
        Assert.Equal(parts.UnsignedUrl, url.AbsoluteUri[..url.AbsoluteUri.IndexOf("&X-Goog-Signature=", StringComparison.Ordinal)]);
    }

    [Theory]
    [InlineData(null, null, null, null, null, "https", "storage.googleapis.com")]
    [InlineData("xyz.example", "http://localhost:8080", "http://localhost:9000", "domain.com", null, "https", "xyz.example")]
    [InlineData(null, "localhost:8080", "https://emu.example", null, "http", "http", "localhost:8080")]
    [InlineData(null, null, "https://emu.example", "domain.com", null, "https", "emu.example")]
    [InlineData(null, null, null, "domain.com", null, "https", "storage.domain.com")]
    public void Endpoint_HostNameThenClientEndpointThenEmulatorThenUniverse(string? hostname, string? client, string? emulator, string? universe, string? scheme,
        string expectedScheme, string expectedAuthority)
    {
        V4UrlEndpoint e = V4UrlEndpoint.Resolve(hostname, client, emulator, universe, scheme);

        Assert.Equal((expectedScheme, expectedAuthority), (e.Scheme, e.Authority));
    }

    private static (V4SigningRequest, V4UrlEndpoint) Read(JsonElement c)
    {
        string? S(string name) => c.TryGetProperty(name, out JsonElement v) ? v.GetString() : null;
        Dictionary<string, string>? Map(string name) => c.TryGetProperty(name, out JsonElement v)
            ? v.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString()!)
            : null;
        V4UrlStyle style = S("urlStyle") switch
        {
            "VIRTUAL_HOSTED_STYLE" => V4UrlStyle.VirtualHostedStyle,
            "BUCKET_BOUND_HOSTNAME" => V4UrlStyle.BucketBoundHostname,
            _ => V4UrlStyle.PathStyle,
        };
        V4UrlEndpoint endpoint = V4UrlEndpoint.Resolve(S("hostname"), S("clientEndpoint"), S("emulatorHostname"), S("universeDomain"), S("scheme"),
            style, S("bucketBoundHostname"));
        var request = new V4SigningRequest(S("method")!, S("bucket")!, S("object"),
            DateTimeOffset.Parse(S("timestamp")!, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal),
            TimeSpan.FromSeconds(c.GetProperty("expiration").GetInt64()), Map("headers"), Map("queryParameters"));
        return (request, endpoint);
    }

    private static string Sha256Hex(string s) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(s)));

    private static RSAParameters PublicHalf()
    {
        using JsonDocument key = JsonDocument.Parse(File.ReadAllText(Path.Combine(Dir, "test_service_account.not-a-test.json")));
        using RSA rsa = RSA.Create();
        rsa.ImportFromPem(key.RootElement.GetProperty("private_key").GetString());
        return rsa.ExportParameters(includePrivateParameters: false);
    }

    /// <summary>Google.Apis.Auth's blob signer contract (base64 signature) over the dummy key, as IAM signBlob would answer.</summary>
    private sealed class KeyBackedBlobSigner(ServiceAccountKeySigner key) : Google.Apis.Auth.OAuth2.IBlobSigner
    {
        public async Task<string> SignBlobAsync(byte[] blob, CancellationToken cancellationToken = default) =>
            Convert.ToBase64String(await key.SignAsync(blob, cancellationToken));
    }
}
