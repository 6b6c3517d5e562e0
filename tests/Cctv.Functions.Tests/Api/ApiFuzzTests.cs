using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using Cctv.Functions.Auth;
using Cctv.Shared.Domain;
using Cctv.Shared.Hashing;
using Cctv.Shared.Local;
using Cctv.Shared.Ports;
using Xunit.Abstractions;

namespace Cctv.Functions.Tests.Api;

/// <summary>
/// Hostile traffic against the embedded backend's host, as a service client restricted to one site (an API key granted
/// site hq): more than 10,000 requests of malformed and hostile kinds (bad and other sites' IDs, path traversal raw on
/// the socket and encoded, huge and inverted ranges, bad time formats, forged playback and storage links, forged and
/// oversized credentials, oversized headers and query strings, wrong methods), from a fixed seed so a failure repeats.
/// Every answer must be below 500 and carry nothing of the other site (its IDs, names, object names or bytes), and the
/// host must still answer correctly afterwards.
/// </summary>
[Trait("Category", "Slow")]
public sealed class ApiFuzzTests(ITestOutputHelper output)
{
    private const int Requests = 10_500;

    [Fact]
    public async Task TenThousandHostileRequests_NoServerError_NothingOfTheOtherSite_AndTheHostStillServes()
    {
        await using LocalFunctionsHost host = await LocalFunctionsHost.StartAsync();
        SqliteCatalog catalog = host.Backend.Catalog;
        CancellationToken ct = CancellationToken.None;
        await catalog.SetRecorderSiteAsync(new RecorderSite("r-hq", "hq"), ct);
        await catalog.SetRecorderSiteAsync(new RecorderSite("r-depot", "depot"), ct);
        await catalog.UpsertCameraAsync(new CameraInfo("hq-gate", "HQ gate", "r-hq"), ct);
        await catalog.UpsertCameraAsync(new CameraInfo("depot-door", "Depot door", "r-depot"), ct);
        DateTimeOffset start = host.Clock.GetUtcNow().AddMinutes(-30);
        var own = new List<Recording>();
        var theirs = new List<Recording>();
        for (int i = 0; i < 5; i++)
        {
            own.Add(await ArchiveAsync(host.Backend, "r-hq", "hq-gate", i, start));
            theirs.Add(await ArchiveAsync(host.Backend, "r-depot", "depot-door", i, start));
        }
        await catalog.RecordGapAsync(new RecordingGap("g-depot", "r-depot", "depot-door", start.AddSeconds(20), start.AddSeconds(60), "depot camera offline"), ct);
        (string key, ApiKeyRecord record) = await ApiKeys.CreateAsync(catalog, "fuzzer", TimeProvider.System, ct);
        await catalog.GrantAsync(AccessGrant.ToSite(record.Principal, "hq"), ct);

        // What must never appear in an answer to this caller.
        string[] forbidden = [.. theirs.SelectMany(r => new[] { r.Id, r.ArchiveObject!, r.Announcement.StagingObject }), "depot", "r-depot", "Depot door"];

        // A real playback link of the other site (minted with the host's key), to move onto other recordings.
        string theirPlaylistLink = (await Cctv.Functions.Api.PlaybackLinks.FromCatalogAsync(catalog, ct)).For(theirs[0].Id, host.Clock.GetUtcNow().AddHours(1));

        var random = new Random(20260115);
        var generators = new Func<Random, Probe>[]
        {
            r => Get($"/api/recordings/{Id(r, own, theirs)}/{Pick(r, "", "get_url/", "download/", "stream/", "get_url", "x/")}"),
            r => Get($"/api/recordings/get_urls/?{string.Join('&', Enumerable.Range(0, r.Next(0, 130)).Select(_ => "ids=" + Uri.EscapeDataString(Id(r, own, theirs))))}"),
            r => Get($"/api/recordings/?{RangeQuery(r, start)}&camera_id={Camera(r)}&page_size={Pick(r, "1", "0", "-5", "501", "99999999999", "abc", "50")}&page_token={Pick(r, "", "bm90LWEtdG9rZW4", Garbage(r, 40), "%00", "MTIzOmFiYw")}"),
            r => Get($"/api/cameras/{Camera(r)}/timeline/?{RangeQuery(r, start)}"),
            r => Get($"/api/cameras/{Camera(r)}/playlist.m3u8?{RangeQuery(r, start)}"),
            r => Get($"/api/cameras/{Camera(r)}/gaps/?{RangeQuery(r, start)}"),
            r => Get(Pick(r, "/api/cameras/", "/api/status", "/api/", "/api/recordings", "/api/cameras", "/healthz")),
            r => Get($"/playback/{Id(r, own, theirs)}.mp4?exp={Pick(r, "", "0", "99999999999", "-1", "1e9", Garbage(r, 12))}&sig={Pick(r, "", Garbage(r, 22), "AAAAAAAAAAAAAAAAAAAAAA", new string('A', 5000))}"),
            r => Get(theirPlaylistLink.Replace(theirs[0].Id, r.Next(2) == 0 ? own[r.Next(own.Count)].Id : theirs[1 + r.Next(theirs.Count - 1)].Id, StringComparison.Ordinal),
                bearer: null),
            r => Get($"/storage/{Pick(r, LocalBackend.ArchiveBucket, LocalBackend.StagingBucket, "..", "%2e%2e", "cctv-archive%2f..")}/{Traversal(r, theirs)}?X-Cctv-Expires={Pick(r, "", "99999999999", "1")}&X-Cctv-Signature={Garbage(r, 43)}", bearer: null),
            r => Raw($"GET {Pick(r, "/storage/cctv-archive/", "/api/recordings/", "/playback/", "/api/cameras/")}{Traversal(r, theirs)} HTTP/1.1"),
            r => Get($"/api/recordings/{own[0].Id}/get_url/", bearer: Credential(r, key)),
            r => Get($"/api/recordings/?q={new string('x', r.Next(1, 40_000))}"),
            r => Get($"/api/recordings/{Id(r, own, theirs)}/", headers: [("X-Junk", new string('j', r.Next(1, 70_000)))]),
            r => new Probe(new HttpMethod(Pick(r, "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE")), $"/api/recordings/{Id(r, own, theirs)}/get_url/", key, [], null),
        };

        var failures = new ConcurrentQueue<string>();
        int unsendable = 0;
        var statuses = new ConcurrentDictionary<int, int>();
        using var client = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false }) { BaseAddress = host.BaseUri };
        Probe[] probes = [.. Enumerable.Range(0, Requests).Select(_ => generators[random.Next(generators.Length)](random))];
        await Parallel.ForEachAsync(probes, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (probe, token) =>
        {
            (int status, string answer) = await SendAsync(client, host.BaseUri, probe with { Bearer = probe.Bearer == "" ? key : probe.Bearer }, token);
            statuses.AddOrUpdate(status, 1, (_, n) => n + 1);
            string asked = probe.Path + "\n" + Uri.UnescapeDataString(probe.Path);
            if (status == -1)
            {
                Interlocked.Increment(ref unsendable);
            }
            else if (status >= 500 || status == 0)
            {
                failures.Enqueue($"{status} for {probe.Method} {Shorten(probe.Path)}: {Shorten(answer)}");
            }
            else if (forbidden.FirstOrDefault(f => answer.Contains(f, StringComparison.OrdinalIgnoreCase) && !asked.Contains(f, StringComparison.OrdinalIgnoreCase)) is { } leaked)
            {
                failures.Enqueue($"{status} for {probe.Method} {Shorten(probe.Path)} carries '{leaked}': {Shorten(answer)}");
            }
        });

        output.WriteLine($"{Requests} requests ({unsendable} not sendable): " + string.Join(", ", statuses.OrderBy(p => p.Key).Select(p => $"{p.Key}×{p.Value}")));
        Assert.True(failures.IsEmpty, $"{failures.Count} bad answers of {Requests}, e.g.:\n{string.Join('\n', failures.Take(10))}");
        Assert.True(Requests - unsendable >= 10_000, $"only {Requests - unsendable} requests could be sent ({unsendable} were not valid HTTP on the client side)");
        Assert.True(statuses.Keys.Count >= 6, "the fuzzer should reach many kinds of answer: " + string.Join(", ", statuses.OrderBy(p => p.Key).Select(p => $"{p.Key}×{p.Value}")));

        // Still healthy: health, a legitimate request of this caller, and its bytes.
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/healthz")).StatusCode);
        using var legit = new HttpRequestMessage(HttpMethod.Get, $"/api/recordings/{own[2].Id}/get_url/");
        legit.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        using HttpResponseMessage ok = await client.SendAsync(legit);
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        using var json = System.Text.Json.JsonDocument.Parse(await ok.Content.ReadAsStringAsync());
        Assert.Equal("r-hq/hq-gate/2: footage of hq only", await client.GetStringAsync(json.RootElement.GetProperty("url").GetString()));
    }

    private sealed record Probe(HttpMethod Method, string Path, string? Bearer, (string Name, string Value)[] Headers, string? RawRequestLine);

    private static Probe Get(string path, string? bearer = "", (string, string)[]? headers = null) => new(HttpMethod.Get, path, bearer, headers ?? [], null);

    private static Probe Raw(string requestLine) => new(HttpMethod.Get, requestLine, "", [], requestLine);

    private static async Task<(int Status, string Answer)> SendAsync(HttpClient client, Uri baseUri, Probe probe, CancellationToken ct)
    {
        if (probe.RawRequestLine is { } line)
        {
            return await SendRawAsync(baseUri, line, probe.Bearer, ct);
        }
        if (probe.Bearer is { } raw && !Ascii.IsValid(raw))
        {
            // HttpClient will not send non-ASCII header bytes; the socket will (as UTF-8).
            return await SendRawAsync(baseUri, $"{probe.Method} {probe.Path} HTTP/1.1", raw.StartsWith("Bearer ", StringComparison.Ordinal) ? raw[7..] : raw, ct);
        }
        HttpRequestMessage request;
        try
        {
            request = new HttpRequestMessage(probe.Method, new Uri(probe.Path, UriKind.Relative));
        }
        catch (UriFormatException)
        {
            return (-1, "");
        }
        using HttpRequestMessage sent = request;
        if (probe.Bearer is { } bearer)
        {
            request.Headers.TryAddWithoutValidation("Authorization", bearer.StartsWith("Basic ", StringComparison.Ordinal) || bearer.StartsWith("Bearer", StringComparison.Ordinal)
                ? bearer : "Bearer " + bearer);
        }
        foreach ((string name, string value) in probe.Headers)
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }
        try
        {
            using HttpResponseMessage response = await client.SendAsync(request, ct);
            string body = await response.Content.ReadAsStringAsync(ct);
            return ((int)response.StatusCode, string.Join('\n', response.Headers.Select(h => $"{h.Key}: {string.Join(",", h.Value)}")) + "\n" + body);
        }
        catch (HttpRequestException e)
        {
            // Kestrel may close the connection on a request it will not read (an oversized header): a refusal, not a 5xx.
            return (e.HttpRequestError is HttpRequestError.ResponseEnded or HttpRequestError.InvalidResponse ? 499 : 0, e.Message);
        }
    }

    /// <summary>A request line sent as is (no client-side normalization of "..", "//" or encodings), with Connection: close.</summary>
    private static async Task<(int Status, string Answer)> SendRawAsync(Uri baseUri, string requestLine, string? bearer, CancellationToken ct)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(baseUri.Host, baseUri.Port, ct);
        NetworkStream stream = tcp.GetStream();
        string request = $"{requestLine}\r\nHost: {baseUri.Authority}\r\n{(bearer is null ? "" : $"Authorization: Bearer {bearer}\r\n")}Connection: close\r\n\r\n";
        await stream.WriteAsync(Encoding.UTF8.GetBytes(request), ct);
        using var reader = new StreamReader(stream, Encoding.UTF8);
        string answer = await reader.ReadToEndAsync(ct);
        string[] status = answer.Split('\n', 2)[0].Split(' ');
        return (status.Length > 1 && int.TryParse(status[1], out int code) ? code : 0, answer);
    }

    private static async Task<Recording> ArchiveAsync(LocalBackend backend, string recorder, string camera, int seq, DateTimeOffset start)
    {
        byte[] bytes = Encoding.UTF8.GetBytes($"{recorder}/{camera}/{seq}: footage of {(recorder == "r-hq" ? "hq" : "the other site")} only");
        SegmentDigest digest = await SegmentHasher.HashAsync(new MemoryStream(bytes), CancellationToken.None);
        string id = RecordingId.For(recorder, camera, 1, seq);
        DateTimeOffset at = start.AddSeconds(seq * 4);
        var a = new RecordingAnnouncement(id, recorder, camera, camera, 1, seq, at, at.AddSeconds(4), digest.Size, digest.Sha256, digest.Crc32CBase64, digest.Md5,
            "video/mp4", ObjectNames.Staging(recorder, camera, id));
        string archive = ObjectNames.Archive(camera, at, id);
        StoredObject stored = await backend.Store.UploadAsync(new UploadRequest(LocalBackend.ArchiveBucket, archive, "video/mp4", digest.Crc32CBase64, digest.Md5, 0,
            new Dictionary<string, string>()), new MemoryStream(bytes), CancellationToken.None);
        await backend.Catalog.AnnounceAsync(a, CancellationToken.None);
        await backend.Catalog.MarkStagedAsync(id, 1, CancellationToken.None);
        await backend.Catalog.MarkArchivedAsync(id, archive, stored.Generation, CancellationToken.None);
        return (await backend.Catalog.GetAsync(id, CancellationToken.None))!;
    }

    private static string Pick(Random r, params string[] choices) => choices[r.Next(choices.Length)];

    private static string Garbage(Random r, int length)
    {
        const string alphabet = "abcdefABCDEF0123456789-_.~%/\\:;'\"<>{}[]|`^ \t+=?&#@!$*()é漢\u0001";
        return new string([.. Enumerable.Range(0, r.Next(0, length + 1)).Select(_ => alphabet[r.Next(alphabet.Length)])]);
    }

    private static string Id(Random r, List<Recording> own, List<Recording> theirs) => r.Next(10) switch
    {
        0 or 1 or 2 => theirs[r.Next(theirs.Count)].Id,
        3 => own[r.Next(own.Count)].Id,
        4 => own[r.Next(own.Count)].Id.ToUpperInvariant(),
        5 => Guid.NewGuid().ToString(),
        6 => Pick(r, "..", "../..", "%2e%2e%2f%2e%2e", "..%2F..%2Fcloud%2Fcatalog.db", "%00", "%252e%252e", "con", "nul", "*", "'; DROP TABLE recordings; --"),
        7 => new string('9', r.Next(37, 5000)),
        8 => theirs[r.Next(theirs.Count)].Id + Pick(r, "%00", "/..", "%20", "x", "/../" + own[0].Id),
        _ => Uri.EscapeDataString(Garbage(r, 60)),
    };

    private static string Camera(Random r) => Pick(r, "hq-gate", "depot-door", "DEPOT-DOOR", "depot-door%00", "..", "%2e%2e", "hq-gate%2F..%2Fdepot-door",
        "a", new string('c', 64), new string('c', 300), "*", "%20", Uri.EscapeDataString("depot-door'--"));

    private static string RangeQuery(Random r, DateTimeOffset start)
    {
        string Time() => r.Next(12) switch
        {
            0 => "",
            1 => "yesterday",
            2 => "2026-13-45T25:61:61Z",
            3 => "0001-01-01T00:00:00Z",
            4 => "9999-12-31T23:59:59Z",
            5 => Uri.EscapeDataString(start.AddMinutes(r.Next(-60, 60)).ToString("yyyy-MM-dd HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture)),
            6 => "1700000000",
            7 => Uri.EscapeDataString(new string('2', r.Next(1, 5000))),
            8 => Uri.EscapeDataString(start.AddDays(-r.Next(0, 4000)).ToString("o", System.Globalization.CultureInfo.InvariantCulture)),
            _ => Uri.EscapeDataString(Cctv.Functions.Api.RecordingItem.Iso(start.AddMinutes(r.Next(-120, 120)))),
        };
        return r.Next(8) == 0 ? $"from={Time()}&from={Time()}&to={Time()}" : $"from={Time()}&to={Time()}";
    }

    private static string Traversal(Random r, List<Recording> theirs) => Pick(r,
        "../../../../etc/passwd", "..%2f..%2f..%2fetc%2fpasswd", "%2e%2e/%2e%2e/cloud/catalog.db", "....//....//etc/passwd", "..\\..\\cloud\\catalog.db",
        "recordings/../../cctv-staging/" + theirs[0].Announcement.StagingObject, theirs[r.Next(theirs.Count)].ArchiveObject!, "//" + theirs[0].ArchiveObject,
        "%00", "a/%2e%2e/%2e%2e/%2e%2e/secrets/url-signing.key", "cloud/secrets/url-signing.key", new string('a', 3000), "%c0%ae%c0%ae/%c0%ae%c0%ae/etc/passwd");

    private static string Credential(Random r, string key) => Pick(r,
        "",
        "Bearer",
        "Bearer ",
        "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes("admin:admin")),
        "Bearer " + key[..^3] + "xyz",
        "Bearer cctv_000000000000_" + new string('A', 43),
        "Bearer cctv_" + Garbage(r, 80),
        "Bearer eyJhbGciOiJub25lIn0.eyJpc3MiOiJodHRwczovL2FjY291bnRzLmdvb2dsZS5jb20iLCJlbWFpbCI6ImFAYi5jIn0.",
        "Bearer eyJhbGciOiJSUzI1NiJ9." + Convert.ToBase64String(Encoding.UTF8.GetBytes("{\"iss\":\"https://accounts.google.com\"}")) + ".sig",
        "Bearer " + new string('x', r.Next(1, 20_000)),
        "Bearer " + Garbage(r, 200),
        "bearer " + key);

    private static string Shorten(string s) => s.Length <= 300 ? s : s[..300] + "…";
}
