using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Cctv.Shared.Gcp.Storage;
using Google.Apis.Auth.OAuth2;
using Google.Cloud.Storage.V1;

namespace Cctv.Shared.Tests.Gcp.Storage;

/// <summary>
/// Our V4 signer (<see cref="V4Signing"/>, <see cref="GcsUrlSigner"/>) against Google's own <see cref="UrlSigner"/>
/// (Google.Cloud.Storage.V1 5.0.0) as an independent oracle: thousands of generated requests (hostile object names,
/// methods, expiries from 1 s to 7 days, response overrides, extension headers), both signed with the conformance
/// vectors' dummy key at the same instant, must give the same URL byte for byte. 5.0.0's clock is internal
/// (<c>UrlSigner.WithClock</c> is not public), so Google's signer signs at the current time and ours re-signs at the
/// instant read back from its <c>X-Goog-Date</c>. The generator is seeded, so a failure names its case and repeats.
/// </summary>
public sealed class V4SigningOracleTests
{
    private const int Seed = 20261201;
    private const int CaseCount = 2000;
    private const string SignatureParameter = "&X-Goog-Signature=";

    private static readonly string KeyPath = Path.Combine(AppContext.BaseDirectory, "testdata", "gcs-conformance", "test_service_account.not-a-test.json");
    private static readonly Lazy<ServiceAccountKeySigner> Key = new(() => ServiceAccountKeySigner.FromFile(KeyPath));
    private static readonly Lazy<UrlSigner> Signer = new(() =>
        UrlSigner.FromCredential(CredentialFactory.FromFile<ServiceAccountCredential>(KeyPath)));

    /// <summary>Pieces object names are built from: separators, characters that need escaping, non-ASCII, emoji.</summary>
    private static readonly string[] NamePieces =
    [
        "a", "Z", "0", "cam1", "seg-00001.mp4", " ", "  ", "+", "/", "~", "%", "%2F", "%20", "?", "#", "&", "=", ";", ":", "@", "!", "$",
        "'", "(", ")", "*", ",", "[", "]", "\"", "<", ">", "\\", "^", "`", "{", "|", "}", "-", "_", ".", "é", "ß", "日本語", "Ω",
        "🎥", "👨‍👩‍👧", "\u00a0", "\u200b", "\t",
    ];

    private static RSA PublicKey()
    {
        using JsonDocument key = JsonDocument.Parse(File.ReadAllText(KeyPath));
        using RSA full = RSA.Create();
        full.ImportFromPem(key.RootElement.GetProperty("private_key").GetString());
        RSA publicOnly = RSA.Create();
        publicOnly.ImportParameters(full.ExportParameters(includePrivateParameters: false));
        return publicOnly;
    }

    private static readonly HttpMethod[] Methods = [HttpMethod.Get, HttpMethod.Put, HttpMethod.Head, HttpMethod.Delete];

    private static readonly string[] Dispositions =
    [
        "attachment", "inline", "attachment; filename=\"cam1_20260115T031000Z.mp4\"", "attachment; filename*=UTF-8''caf%C3%A9 1.mp4",
        "attachment; filename=\"a+b #1?.mp4\"",
    ];

    private static readonly string[] ContentTypes = ["video/mp4", "application/vnd.apple.mpegurl", "text/plain; charset=utf-8", "application/octet-stream"];

    [Fact]
    public void GeneratedRequests_OurUrlEqualsGoogleUrlSigners_ByteForByte()
    {
        var random = new Random(Seed);
        using RSA publicKey = PublicKey();
        var failures = new List<string>();
        for (int i = 0; i < CaseCount; i++)
        {
            SigningCase c = Generate(random, i);
            (string google, DateTimeOffset signedAt) = SignGoogles(c);
            c = c with { Timestamp = signedAt };
            V4SignedParts ours = PrepareOurs(c);
            // PKCS#1 v1.5 signatures are deterministic, so "Google's signature verifies over our string to sign" is
            // "our signature is Google's"; checking it with the public key avoids a second private-key operation per case.
            int split = google.IndexOf(SignatureParameter, StringComparison.Ordinal);
            bool same = split > 0
                && string.Equals(ours.UnsignedUrl, google[..split], StringComparison.Ordinal)
                && publicKey.VerifyData(Encoding.UTF8.GetBytes(ours.StringToSign), Convert.FromHexString(google[(split + SignatureParameter.Length)..]),
                    HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
            if (!same)
            {
                failures.Add($"case {i} (seed {Seed}): {c}\n  ours:   {ours.UnsignedUrl}\n  google: {google}");
            }
        }

        Assert.True(failures.Count == 0, $"{failures.Count} of {CaseCount} differ; first ones:\n{string.Join("\n", failures.Take(5))}");
    }

    [Fact]
    public async Task GcsUrlSigner_ThroughThePort_SignsAsGoogleDoes_ForHostileNamesAndOverrides()
    {
        var random = new Random(Seed + 1);
        for (int i = 0; i < 200; i++)
        {
            SigningCase generated = Generate(random, i);
            // The port signs GETs with at most the two response overrides.
            SigningCase c = generated with
            {
                Method = HttpMethod.Get,
                Headers = [],
                Query = generated.Query.Where(q => q.Key != "generation").ToDictionary(StringComparer.Ordinal),
            };
            (string google, DateTimeOffset signedAt) = SignGoogles(c);
            var clock = new TestSupport.ManualClock(signedAt);
            var signer = new GcsUrlSigner(Key.Value, clock);

            Uri url = await signer.SignAsync(new Ports.SignedUrlRequest(c.Bucket, c.ObjectName, c.Expiry,
                c.Query.GetValueOrDefault(GcsUrlSigner.DispositionParameter), c.Query.GetValueOrDefault(GcsUrlSigner.ContentTypeParameter)),
                CancellationToken.None);

            Assert.Equal(google, url.OriginalString);
        }
    }

    [Fact]
    public void TheComparisonIsNotBlind_ADifferentInstantNameOrMethodGivesAnotherUrl()
    {
        SigningCase c = Generate(new Random(Seed), 0);
        (string google, DateTimeOffset signedAt) = SignGoogles(c);
        c = c with { Timestamp = signedAt };

        Assert.Equal(google, SignOurs(c, Key.Value));
        Assert.NotEqual(google, SignOurs(c with { Timestamp = signedAt.AddSeconds(1) }, Key.Value));
        Assert.NotEqual(google, SignOurs(c with { Expiry = c.Expiry == TimeSpan.FromSeconds(1) ? TimeSpan.FromSeconds(2) : c.Expiry - TimeSpan.FromSeconds(1) }, Key.Value));
        Assert.NotEqual(google, SignOurs(c with { ObjectName = c.ObjectName + "x" }, Key.Value));
        Assert.NotEqual(google, SignOurs(c with { Method = c.Method == HttpMethod.Get ? HttpMethod.Head : HttpMethod.Get }, Key.Value));
    }

    private static SigningCase Generate(Random random, int index)
    {
        string name = index % 97 == 13 ? LongName(random) : RandomName(random);
        HttpMethod method = Methods[random.Next(Methods.Length)];
        TimeSpan expiry = random.Next(8) switch
        {
            0 => TimeSpan.FromSeconds(1),
            1 => V4Signing.MaxExpiry,
            _ => TimeSpan.FromSeconds(random.NextInt64(1, (long)V4Signing.MaxExpiry.TotalSeconds + 1)),
        };

        var query = new Dictionary<string, string>(StringComparer.Ordinal);
        if (random.Next(3) == 0)
        {
            query[GcsUrlSigner.DispositionParameter] = Dispositions[random.Next(Dispositions.Length)];
        }
        if (random.Next(3) == 0)
        {
            query[GcsUrlSigner.ContentTypeParameter] = ContentTypes[random.Next(ContentTypes.Length)];
        }
        if (random.Next(6) == 0)
        {
            query["generation"] = random.NextInt64(1, long.MaxValue).ToString(CultureInfo.InvariantCulture);
        }

        var headers = new List<KeyValuePair<string, string>>();
        if (random.Next(4) == 0)
        {
            headers.Add(new("x-goog-meta-camera", "site a  cam1 \t" + random.Next(100).ToString(CultureInfo.InvariantCulture)));
        }
        if (method == HttpMethod.Put && random.Next(2) == 0)
        {
            headers.Add(new("Content-Type", ContentTypes[random.Next(ContentTypes.Length)]));
        }
        if (method == HttpMethod.Put && random.Next(3) == 0)
        {
            headers.Add(new("x-goog-if-generation-match", "0"));
        }
        string bucket = random.Next(2) == 0 ? "cctv-archive" : "site-a.staging_bucket-01";
        return new SigningCase(bucket, name, method, default, expiry, query, headers);
    }

    private static string RandomName(Random random)
    {
        var sb = new StringBuilder();
        int pieces = random.Next(1, 12);
        for (int p = 0; p < pieces; p++)
        {
            sb.Append(NamePieces[random.Next(NamePieces.Length)]);
        }
        return sb.ToString();
    }

    /// <summary>A name near Cloud Storage's 1024-byte limit, mixing multi-byte characters and separators.</summary>
    private static string LongName(Random random)
    {
        var sb = new StringBuilder();
        while (Encoding.UTF8.GetByteCount(sb.ToString()) < 1000)
        {
            sb.Append(NamePieces[random.Next(NamePieces.Length)]);
        }
        return sb.ToString();
    }

    private static V4SignedParts PrepareOurs(SigningCase c) => V4Signing.Prepare(
        new V4SigningRequest(c.Method.Method, c.Bucket, c.ObjectName, c.Timestamp, c.Expiry,
            c.Headers.ToDictionary(h => h.Key, h => h.Value, StringComparer.OrdinalIgnoreCase), c.Query),
        Key.Value.ClientEmail, V4UrlEndpoint.Production);

    private static string SignOurs(SigningCase c, ServiceAccountKeySigner key)
    {
        V4SignedParts parts = PrepareOurs(c);
        byte[] signature = key.SignAsync(Encoding.UTF8.GetBytes(parts.StringToSign), CancellationToken.None).AsTask().GetAwaiter().GetResult();
        return parts.Complete(signature);
    }

    /// <summary>Google's URL and the instant it signed at (its X-Goog-Date).</summary>
    private static (string Url, DateTimeOffset SignedAt) SignGoogles(SigningCase c)
    {
        UrlSigner signer = Signer.Value;
        var template = UrlSigner.RequestTemplate.FromBucket(c.Bucket)
            .WithObjectName(c.ObjectName)
            .WithHttpMethod(c.Method)
            .WithQueryParameters(c.Query.Select(q => new KeyValuePair<string, IEnumerable<string>>(q.Key, [q.Value])));
        List<KeyValuePair<string, IEnumerable<string>>> content = [.. c.Headers.Where(h => IsContentHeader(h.Key)).Select(Many)];
        List<KeyValuePair<string, IEnumerable<string>>> request = [.. c.Headers.Where(h => !IsContentHeader(h.Key)).Select(Many)];
        if (content.Count > 0)
        {
            template = template.WithContentHeaders(content);
        }
        if (request.Count > 0)
        {
            template = template.WithRequestHeaders(request);
        }
        string url = signer.Sign(template, UrlSigner.Options.FromDuration(c.Expiry).WithSigningVersion(SigningVersion.V4));
        const string DateParameter = "X-Goog-Date=";
        int at = url.IndexOf(DateParameter, StringComparison.Ordinal);
        Assert.True(at >= 0, $"Google's URL has no X-Goog-Date: {url}");
        DateTimeOffset signedAt = DateTimeOffset.ParseExact(url.AsSpan(at + DateParameter.Length, 16), "yyyyMMdd'T'HHmmss'Z'",
            CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal);
        return (url, signedAt);

        static bool IsContentHeader(string name) => name.StartsWith("Content-", StringComparison.OrdinalIgnoreCase);
        static KeyValuePair<string, IEnumerable<string>> Many(KeyValuePair<string, string> h) => new(h.Key, [h.Value]);
    }

    private sealed record SigningCase(
        string Bucket,
        string ObjectName,
        HttpMethod Method,
        DateTimeOffset Timestamp,
        TimeSpan Expiry,
        IReadOnlyDictionary<string, string> Query,
        IReadOnlyList<KeyValuePair<string, string>> Headers)
    {
        public override string ToString() =>
            $"{Method} {Bucket} '{ObjectName}' at {Timestamp:O} for {Expiry.TotalSeconds} s, query [{string.Join(", ", Query.Select(q => q.Key + "=" + q.Value))}], "
            + $"headers [{string.Join(", ", Headers.Select(h => h.Key + ": " + h.Value))}]";
    }
}
