using System.Buffers.Binary;
using System.Buffers.Text;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Cctv.Functions.Api;
using Cctv.Functions.Hosting;
using Cctv.Shared.CloudEvents;
using CloudNative.CloudEvents;
using Cctv.Shared.Domain;
using Cctv.Shared.Local;
using Cctv.TestSupport.Sites;

namespace Cctv.Functions.Tests.Api;

/// <summary>The fuzzer's generators: each makes one kind of hostile request from the seeded random source.</summary>
public sealed partial class ApiFuzzTests
{
    private static Func<Random, Probe>[] Generators(Scene s, Uri server)
    {
        string keyA = s.KeyA;
        string bearerA = "Bearer " + keyA;
        string operatorBearer = "Bearer " + LocalFunctionsHost.Token;
        string port = server.Port.ToString(CultureInfo.InvariantCulture);

        string Id(Random r) => r.Next(12) switch
        {
            0 or 1 or 2 => Pick(r, s.Theirs).Id,
            3 or 4 => Pick(r, s.Own).Id,
            5 => Pick(r, s.Own).Id.ToUpperInvariant(),
            6 => Guid.NewGuid().ToString(),
            7 => Pick(r, "..", "../..", "%2e%2e%2f%2e%2e", "..%2F..%2Fcloud%2Fcatalog.db", "%00", "%252e%252e", "con", "nul", "*", "'; DROP TABLE recordings; --"),
            8 => new string('9', r.Next(37, 5000)),
            9 => Pick(r, s.Theirs).Id + Pick(r, "%00", "/..", "%20", "x", "/../" + s.Own[0].Id),
            10 => Uri.EscapeDataString(Pick(r, s.Theirs).ArchiveObject ?? s.Announced.Announcement.StagingObject),
            _ => Uri.EscapeDataString(Garbage(r, 60)),
        };

        string Camera(Random r) => Pick(r, "cam1", "gate", "dock", "rec-a~cam1", "rec-a~gate", "rec-b~cam1", "rec-b~dock", "REC-B~CAM1", "rec-a%7Ecam1", "rec-b%7Ecam1",
            "site-a~cam1", "site-b~cam1", "rec-a~cam1%00", "rec-a~", "~cam1", "~", "rec-a~cam1~x", "rec-a~..", "..", "%2e%2e", "cam1%2F..%2Frec-b~cam1", "a",
            new string('c', 64), new string('c', 300), "*", "%20", Uri.EscapeDataString("rec-b~cam1'--"));

        string Range(Random r)
        {
            string Time() => r.Next(13) switch
            {
                0 => "",
                1 => "yesterday",
                2 => "2026-13-45T25:61:61Z",
                3 => "0001-01-01T00:00:00Z",
                4 => "9999-12-31T23:59:59Z",
                5 => Uri.EscapeDataString(s.Start.AddMinutes(r.Next(-60, 60)).ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture)),
                6 => "1700000000",
                7 => Uri.EscapeDataString(new string('2', r.Next(1, 5000))),
                8 => Uri.EscapeDataString(s.Start.AddDays(-r.Next(0, 4000)).ToString("o", CultureInfo.InvariantCulture)),
                9 => Uri.EscapeDataString(RecordingItem.Iso(Pick(r, s.Theirs).Announcement.StartTime.AddSeconds(r.Next(-2, 3) - 0.5))),
                _ => Uri.EscapeDataString(RecordingItem.Iso(s.Start.AddMinutes(r.Next(-120, 120)))),
            };
            return r.Next(8) switch
            {
                0 => $"from={Time()}&from={Time()}&to={Time()}",
                1 or 2 => s.Host.Range,
                _ => $"from={Time()}&to={Time()}",
            };
        }

        string Storage(Random r) => Pick(r, s.StorageLinks);

        return
        [
            // Recordings by ID: site A's answer, site B's are 404 like IDs that do not exist.
            r =>
            {
                string suffix = Pick(r, "", "get_url/", "download/", "stream/", "get_url", "x/", "download", "stream/?x=1");
                Recording? known = r.Next(2) == 0 ? Pick(r, r.Next(2) == 0 ? s.OwnArchived : s.Theirs) : null;
                Expect expect = known is null || suffix is not ("" or "get_url/" or "download/" or "stream/") ? Expect.Any
                    : s.OwnIds.Contains(known.Id) ? Expect.Success : Expect.NotFound;
                return new Probe("recording", "GET", $"/api/recordings/{known?.Id ?? Id(r)}/{suffix}", bearerA, expect);
            },
            r => new Probe("get_urls", "GET",
                $"/api/recordings/get_urls/?{string.Join('&', Enumerable.Range(0, r.Next(0, 130)).Select(_ => "ids=" + (r.Next(3) == 0 ? Pick(r, s.Own).Id : Id(r))))}", bearerA),
            r => new Probe("list", "GET",
                $"/api/recordings/?{Range(r)}&{string.Join('&', Enumerable.Range(0, r.Next(0, 4)).Select(_ => "camera_id=" + Camera(r)))}&page_size={Pick(r, "1", "0", "-5", "501", "99999999999", "abc", "50", "2", "")}"
                + $"&page_token={(r.Next(2) == 0 ? "" : Pick(r, "bm90LWEtdG9rZW4", Uri.EscapeDataString(Garbage(r, 40)), "%00", "MTIzOmFiYw", new string('A', r.Next(150, 400))))}", bearerA),
            r => TokenProbe(r, s, bearerA),
            r => TokenProbe(r, s, bearerA),
            r => TokenProbe(r, s, bearerA),
            r =>
            {
                string route = Pick(r, "timeline/", "playlist.m3u8", "gaps/");
                if (r.Next(3) == 0)
                {
                    // A bare cam1 is site A's for site A (one camera of that name), ambiguous for an operator (two).
                    bool asOperator = r.Next(3) == 0;
                    return new Probe("camera-cam1", "GET", $"/api/cameras/cam1/{route}?{s.Host.Range}",
                        asOperator ? "Bearer " + s.Host.Keys[TwoSites.KeyOperator] : bearerA, asOperator ? Expect.BadRequest : Expect.Success,
                        AsOperator: asOperator, MustContain: asOperator ? TwoSites.BCam1.ToString() : TwoSites.ACam1.ToString());
                }
                return new Probe("camera", "GET", $"/api/cameras/{Camera(r)}/{route}?{Range(r)}", bearerA);
            },
            r => r.Next(4) == 0
                ? new Probe("status", "GET", Pick(r, "/api/status", "/api/status/", "/API/STATUS", "/api/status?x=1"), bearerA, Expect.NotFound)
                : new Probe("misc", "GET", Pick(r, "/api/cameras/", "/api/cameras", "/api/", "/api/recordings", "/api", "/healthz", "/api/cameras/?site=site-b", "/api/recordings/?site_id=site-b"), bearerA),
            // Playback links: site A's own (no credential needed), and forgeries of site B's.
            r => r.Next(3) == 0
                ? new Probe("playback-own", r.Next(5) == 0 ? "HEAD" : "GET", Pick(r, s.OwnPlaybackLinks), null, Expect.Success)
                : new Probe("playback-forged", "GET", r.Next(2) == 0
                    ? s.TheirPlaybackLink.Replace(s.Theirs[0].Id, Pick(r, r.Next(2) == 0 ? s.Own : s.Theirs.Skip(1).ToList()).Id, StringComparison.Ordinal)
                    : $"/playback/{Id(r)}.mp4?exp={Pick(r, "", "0", "99999999999", "-1", "1e9", Garbage(r, 12))}&sig={Pick(r, "", Garbage(r, 22), "AAAAAAAAAAAAAAAAAAAAAA", new string('A', 5000))}",
                    null, Expect.ClientError),
            // /storage: site A's signed links (as they are, with a range, tampered), and forgeries.
            r => r.Next(2) == 0
                ? new Probe("storage-signed", "GET", Storage(r), null, Expect.Success,
                    Headers: r.Next(3) == 0 ? [("Range", Pick(r, "bytes=0-3", "bytes=-5", "bytes=2-"))] : null)
                : new Probe("storage-tampered", "GET", Tamper(r, Storage(r), s), null, Expect.ClientError),
            r => new Probe("storage-forged", "GET",
                $"/storage/{Pick(r, LocalBackend.ArchiveBucket, LocalBackend.StagingBucket, "%2e%2e", "cctv-archive%2f..", "x")}/{Traversal(r, s)}?X-Cctv-Expires={Pick(r, "", "99999999999", "1")}&X-Cctv-Signature={Uri.EscapeDataString(Garbage(r, 43))}"
                + Pick(r, "", "&response-content-type=text%2Fhtml", "&response-content-disposition=inline"), null),
            r => new Probe("traversal", "GET",
                $"{Pick(r, "/storage/cctv-archive/", "/api/recordings/", "/playback/", "/api/cameras/", "/player/", "/", "/functions/")}{Traversal(r, s)}", r.Next(2) == 0 ? bearerA : null, Raw: true),
            r => HostProbe(r, s, server, bearerA),
            r => HostProbe(r, s, server, bearerA),
            r =>
            {
                // HTTP/1.0: with the Host, as any client; without one, or a foreign one, refused.
                (string target, bool authenticated) = Pick(r, s.Routes);
                int form = r.Next(3);
                return new Probe("http10", r.Next(5) == 0 ? "HEAD" : "GET", target, authenticated ? bearerA : null,
                    form == 0 ? Expect.NotBadRequest : Expect.BadRequest, Raw: true, Version: "HTTP/1.0",
                    HostLines: form switch { 0 => null, 1 => "", _ => "Host: evil.example\r\n" });
            },
            r => FunctionProbe(r, s, keyA, port),
            r => FunctionProbe(r, s, keyA, port),
            r => PoisonProbe(r, s, operatorBearer),
            r => PoisonProbe(r, s, operatorBearer),
            r => new Probe("credential", "GET", Pick(r, s.Routes.Where(x => x.Authenticated).ToList()).Target, Credential(r, keyA)),
            r => r.Next(3) switch
            {
                0 => new Probe("oversized-query", "GET", $"/api/recordings/?q={new string('x', r.Next(1, 40_000))}", bearerA, MayBeDropped: true),
                1 => new Probe("oversized-header", "GET", $"/api/recordings/{Id(r)}/", bearerA, Headers: [("X-Junk", new string('j', r.Next(1, 70_000)))], MayBeDropped: true),
                _ => new Probe("oversized-header", "GET", Storage(r), null,
                    Headers: [.. Enumerable.Range(0, r.Next(50, 200)).Select(i => ($"X-Many-{i}", new string('m', r.Next(1, 500))))], MayBeDropped: true),
            },
            r =>
            {
                string target = Pick(r, $"/api/recordings/{Id(r)}/get_url/", "/api/recordings/", "/api/cameras/cam1/timeline/", Storage(r), Pick(r, s.OwnPlaybackLinks),
                    "/player/", "/api/status", FunctionsHost.FinalizePath);
                string method = Pick(r, "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "PROPFIND", "CONNECT", "FOO");
                return new Probe("method", method, target, bearerA,
                    Body: r.Next(2) == 0 ? Encoding.UTF8.GetBytes("{\"id\":\"" + Pick(r, s.Own).Id + "\"}") : null, BodyType: "application/json", Raw: method == "CONNECT");
            },
            r => new Probe("player", r.Next(6) == 0 ? "HEAD" : "GET",
                Pick(r, "/player/", "/player", "/", "/player/index.html", "/player/app.js", "/player/api.js", "/player/player.css", "/player/nothing.js",
                    "/player/?camera=rec-b~cam1", "/player/index.html?key=" + keyA, "/player/web/app.js", "/player/%2e%2e/api/status", "/player/..%2f..%2fcloud%2fcatalog.db"),
                r.Next(2) == 0 ? bearerA : null, Raw: r.Next(3) == 0),
        ];
    }

    /// <summary>
    /// Page tokens: site A's own in their query (200), altered (bit flips, truncation, extension), re-encoded, moved to
    /// another query, issued to someone else, or made by hand from site B's rows; all but the first two must be 400.
    /// </summary>
    private static Probe TokenProbe(Random r, Scene s, string bearerA)
    {
        IssuedToken own = Pick(r, s.OwnTokens);
        byte[] raw = Base64Url.DecodeFromChars(own.Token);
        Probe With(string kind, ListQuery query, string token, Expect expect) =>
            new(kind, "GET", query.Text + "page_token=" + Uri.EscapeDataString(token), bearerA, expect);
        switch (r.Next(11))
        {
            case 0:
                return With("token-own", own.Query, own.Token, Expect.Success) with { Lists = own.Query.PageAfter(Cursor(own.Token)!.Value.Id) };
            case 10:
                {
                    // A first page: full, site A's newest.
                    ListQuery query = Pick(r, s.Queries);
                    return new Probe("list-own", "GET", query.Text, bearerA, Expect.Success, Lists: query.PageAfter(null));
                }
            case 1:
                {
                    byte[] flipped = [.. raw];
                    for (int i = 0, n = r.Next(1, 3); i < n; i++)
                    {
                        flipped[r.Next(flipped.Length)] ^= (byte)(1 << r.Next(8));
                    }
                    return With("token-bitflip", own.Query, Base64Url.EncodeToString(flipped), flipped.SequenceEqual(raw) ? Expect.Success : Expect.BadRequest);
                }
            case 2:
                return r.Next(2) == 0
                    ? With("token-truncated", own.Query, own.Token[..r.Next(1, own.Token.Length)], Expect.BadRequest)
                    : With("token-truncated", own.Query, Base64Url.EncodeToString(raw.AsSpan(0, r.Next(1, raw.Length))), Expect.BadRequest);
            case 3:
                return With("token-extended", own.Query, r.Next(2) == 0 ? own.Token + Pick(r, "A", "AA", "AAAA", "_-") : Base64Url.EncodeToString([.. raw, (byte)r.Next(256)]), Expect.BadRequest);
            case 4:
                // The same bytes written otherwise: the API may take them or refuse them, but shows nothing of site B either way.
                return With("token-reencoded", own.Query, Pick(r, Convert.ToBase64String(raw), Convert.ToBase64String(raw).TrimEnd('='), own.Token + "=", own.Token + "==",
                    string.Concat(own.Token.Select(c => $"%{(int)c:X2}"))), Expect.Any);
            case 5:
                {
                    ListQuery other = Pick(r, s.Queries);
                    return other.Binding == own.Query.Binding
                        ? With("token-same-binding", other, own.Token, Expect.Success) with { Lists = other.PageAfter(Cursor(own.Token)!.Value.Id) }
                        : With("token-other-query", other, own.Token, Expect.BadRequest);
                }
            case 6:
                {
                    IssuedToken foreign = Pick(r, s.ForeignTokens);
                    ListQuery query = r.Next(2) == 0 ? foreign.Query : Pick(r, s.Queries);
                    // Another caller's token is refused on every query, one naming only cameras site A cannot see included.
                    return With($"token-of-{foreign.KeyName}", query, foreign.Token, Expect.BadRequest);
                }
            case 7:
                {
                    // The old format: base64 of start:id of a row of site B.
                    Recording theirs = Pick(r, s.Theirs);
                    DateTimeOffset t = theirs.Announcement.StartTime;
                    string start = Pick(r, t.UtcTicks.ToString(CultureInfo.InvariantCulture), t.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture),
                        RecordingItem.Iso(t), t.ToString("o", CultureInfo.InvariantCulture));
                    byte[] text = Encoding.UTF8.GetBytes($"{start}:{theirs.Id}");
                    return With("token-handmade", Pick(r, s.Queries), r.Next(2) == 0 ? Convert.ToBase64String(text) : Base64Url.EncodeToString(text), Expect.BadRequest);
                }
            default:
                {
                    // The current format around a row of site B: a MAC of zeros, of random bytes, or site A's token's own MAC.
                    Recording theirs = Pick(r, s.Theirs);
                    byte[] id = Encoding.UTF8.GetBytes(theirs.Id);
                    byte[] forged = new byte[10 + id.Length + 16];
                    forged[0] = 1;
                    BinaryPrimitives.WriteInt64BigEndian(forged.AsSpan(1), theirs.Announcement.StartTime.UtcTicks);
                    forged[9] = (byte)id.Length;
                    id.CopyTo(forged, 10);
                    switch (r.Next(3))
                    {
                        case 0:
                            r.NextBytes(forged.AsSpan(10 + id.Length));
                            break;
                        case 1:
                            raw.AsSpan(raw.Length - 16).CopyTo(forged.AsSpan(10 + id.Length));
                            break;
                    }
                    return With("token-forged", Pick(r, s.Queries), Base64Url.EncodeToString(forged), Expect.BadRequest);
                }
        }
    }

    /// <summary>Site A's requests with a Host that is refused (400), allowed (answered), or in between (only the rules of every answer).</summary>
    private static Probe HostProbe(Random r, Scene s, Uri server, string bearerA)
    {
        string port = server.Port.ToString(CultureInfo.InvariantCulture);
        (string target, bool authenticated) = Pick(r, s.Routes);
        (string lines, Expect expect, bool mayDrop) = r.Next(3) switch
        {
            0 => ($"Host: {Pick(r, $"127.0.0.1:{port}", "127.0.0.1", "localhost", "localhost:" + port, "LOCALHOST:8080", "[::1]", $"[::1]:{port}")}\r\n", Expect.NotBadRequest, false),
            1 => (Pick(r,
                "Host: \r\n", "", "Host: 127.0.0.1:99999\r\n", "Host: 127.0.0.1:0\r\n", "Host: localhost:65536\r\n", "Host: localhost:-1\r\n", "Host: [::1]:70000\r\n",
                "Host: evil.example\r\n", $"Host: evil.example:{port}\r\n", "Host: 127.0.0.1.evil.example\r\n", "Host: rec-b.site-b.example\r\n",
                $"Host: user@127.0.0.1:{port}\r\n", "Host: user:pw@localhost\r\n", "Host: ::1\r\n", "Host: [::1\r\n", "Host: [fe80::1%25eth0]\r\n",
                $"Host: 127.0.0.1:{port}/x\r\n", "Host: local host\r\n", $"Host: 127.0.0.1:{port}?x\r\n", $"Host: 127.0.0.1:{port}\r\nHost: evil.example\r\n",
                $"Host: {new string('a', 300)}\r\n", $"Host: {new string('h', 5000)}.example\r\n", "Host: localhost:\r\n", "Host: %6cocalhost\r\n"), Expect.BadRequest, false),
            _ => (Pick(r, "Host: 127.1\r\n", "Host: 2130706433\r\n", "Host: [0:0:0:0:0:0:0:1]\r\n", "Host: [::ffff:127.0.0.1]\r\n", "Host: localhost.\r\n",
                "Host: 0x7f.0.0.1\r\n", $"Host: {new string('h', 40_000)}\r\n", "Host: localhost\u00e9\r\n"), Expect.Any, true),
        };
        return new Probe("host", r.Next(6) == 0 ? "HEAD" : "GET", target, authenticated ? bearerA : null, expect, Raw: true, HostLines: lines,
            Version: r.Next(4) == 0 ? "HTTP/1.0" : "HTTP/1.1", MayBeDropped: mayDrop);
    }

    /// <summary>The functions (<c>/functions/*</c>) asked by anyone but the operator: anonymously, with site A's key, an everything-key, or garbage.</summary>
    private static Probe FunctionProbe(Random r, Scene s, string keyA, string port)
    {
        string token = LocalFunctionsHost.Token;
        string? authorization = Pick<string?>(r, [null, "Bearer " + keyA, "Bearer " + s.Host.Keys[TwoSites.KeyOperator], "Bearer " + s.Host.Keys[TwoSites.KeyB],
            "Bearer " + token[..^1], "Bearer " + token + "x", "Bearer " + token.ToUpperInvariant(), "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes("operator:" + token)),
            "Bearer", "Bearer ", "Token " + token, "Bearer " + Garbage(r, 80), "Bearer cctv_" + new string('A', 60), $"Bearer {keyA}, Bearer {token}"]);
        string path = Pick(r, FunctionsHost.FinalizePath, FunctionsHost.ReconcilePath, FunctionsHost.RetentionPath, FunctionsHost.ReconcilePath + "?job=retention&limit=1",
            FunctionsHost.RetryPath, "/functions/", "/functions/finalize/", "/functions/FINALIZE", "/functions/reconcile/..", "/functions/%2e%2e/functions/reconcile");
        bool mapped = path is FunctionsHost.FinalizePath or FunctionsHost.ReconcilePath or FunctionsHost.RetentionPath || path.StartsWith(FunctionsHost.ReconcilePath + "?", StringComparison.Ordinal);
        string method = r.Next(6) == 0 ? Pick(r, "GET", "PUT", "DELETE") : "POST";
        Probe probe = r.Next(3) switch
        {
            0 => PoisonProbe(r, s, authorization) with { Target = path },
            1 => new Probe("", method, path, authorization, Body: Encoding.UTF8.GetBytes(Pick(r, "{\"job\":\"retention\"}", "{\"job\":\"reconcile\",\"limit\":1}", "{}", "")),
                BodyType: "application/json"),
            _ => new Probe("", method, path, authorization),
        };
        bool raw = r.Next(4) == 0;
        return probe with
        {
            Kind = "functions",
            Method = method,
            Expect = mapped && method == "POST" && !raw ? Expect.Unauthorized : Expect.ClientError,
            AsOperator = false,
            Raw = raw,
            Version = raw && r.Next(2) == 0 ? "HTTP/1.0" : "HTTP/1.1",
            HostLines = raw ? Pick<string?>(r, [null, "", "Host: evil.example\r\n", $"Host: localhost:{port}\r\n"]) : null,
            // Refused before its body is read: Kestrel may close the connection while a large one is still being sent.
            MayBeDropped = probe.Body is { Length: > 8192 },
        };
    }

    /// <summary>
    /// A finalize CloudEvent (binary mode) that can never succeed: a name that is not the announced staging object of its
    /// recording (<c>../ID.mp4</c>, <c>/ID.mp4</c>, another recorder's or camera's prefix, huge, control characters), the
    /// wrong bucket, a malformed event. Sent with <paramref name="authorization"/> (the operator's: it must still be a 4xx).
    /// </summary>
    private static Probe PoisonProbe(Random r, Scene s, string? authorization)
    {
        Recording target = r.Next(3) == 0 ? s.Announced : Pick(r, r.Next(3) == 0 ? s.Own : s.Theirs);
        string id = target.Id;
        string name = Pick(r,
            s.PoisonStagingName, s.PoisonStagingName, $"../{id}.mp4", $"/{id}.mp4", $"incoming/rec-a/cam1/{id}.mp4", $"incoming/rec-b/cam1/{id}.mp4", $"incoming/rec-a/gate/{id}.mp4",
            $"incoming/rec-b/dock/{id}.mp4", $"incoming/{target.Announcement.RecorderId}/{target.Announcement.CameraId}/{id}.mov",
            $"incoming/{target.Announcement.RecorderId}/{target.Announcement.CameraId}/x/{id}.mp4", $"incoming/{target.Announcement.RecorderId}/../{target.Announcement.RecorderId}/{target.Announcement.CameraId}/{id}.mp4",
            $"incoming//{target.Announcement.RecorderId}/{target.Announcement.CameraId}/{id}.mp4", $"./{target.Announcement.StagingObject}", $"{target.Announcement.StagingObject}/",
            target.Announcement.StagingObject.Replace(id, id.ToUpperInvariant(), StringComparison.Ordinal), target.Announcement.StagingObject + "\u0000",
            target.Announcement.StagingObject.Replace("/", "\n/", StringComparison.Ordinal), target.Announcement.StagingObject.Replace(".mp4", "\r\n.mp4", StringComparison.Ordinal),
            $"..\\{id}.mp4", $"%2e%2e/{id}.mp4", $"incoming/{target.Announcement.RecorderId}/{target.Announcement.CameraId}/" + new string('9', r.Next(600, 60_000)) + ".mp4",
            target.Announcement.StagingObject + new string('/', r.Next(1, 3000)), target.ArchiveObject ?? $"recordings/cam1/{id}.mp4", "incoming/rec-b/cam1/not-a-recording.mp4");
        if (name == target.Announcement.StagingObject)
        {
            name = $"../{id}.mp4"; // its own staging name is no poison
        }
        string bucket = r.Next(10) == 0 ? Pick(r, LocalBackend.ArchiveBucket, "", "../cctv-staging") : LocalBackend.StagingBucket;
        byte[] body = r.Next(12) switch
        {
            0 => Encoding.UTF8.GetBytes(Pick(r, "{", "[]", "null", "{\"name\": 5}", "\"x\"", "")),
            _ => JsonSerializer.SerializeToUtf8Bytes(new StorageObjectData { Bucket = bucket, Name = name, Generation = r.Next(1, 5).ToString(CultureInfo.InvariantCulture) }),
        };
        bool headerSafe = name.Length < 2000 && !name.Any(char.IsControl);
        var headers = new List<(string, string)>
        {
            ("ce-id", $"fuzz-poison-{r.Next(40)}"),
            ("ce-source", StorageEvents.Source(LocalBackend.StagingBucket).OriginalString),
            ("ce-type", r.Next(15) == 0 ? "google.cloud.storage.object.v1.deleted" : StorageEvents.ObjectFinalized),
            ("ce-specversion", r.Next(15) == 0 ? "0.3" : CloudEventsSpecVersion.V1_0.VersionId),
        };
        if (headerSafe && r.Next(2) == 0)
        {
            headers.Add(("ce-subject", "objects/" + name));
        }
        if (r.Next(15) == 0)
        {
            headers.RemoveAt(r.Next(headers.Count));
        }
        return new Probe("poison", "POST", FunctionsHost.FinalizePath, authorization, Expect.ClientError, [.. headers], body, "application/json",
            AsOperator: true);
    }

    /// <summary>A signed link of site A, changed: another object (site B's), another content type or disposition, no or another signature, expired.</summary>
    private static string Tamper(Random r, string link, Scene s)
    {
        Recording theirs = Pick(r, s.Theirs.Where(t => t.ArchiveObject is not null).ToList());
        string path = link.Split('?')[0];
        string query = link.Contains('?', StringComparison.Ordinal) ? link.Split('?', 2)[1] : "";
        return r.Next(7) switch
        {
            0 => "/storage/" + LocalBackend.ArchiveBucket + "/" + theirs.ArchiveObject + "?" + query,
            1 => path + "?" + string.Join('&', query.Split('&').Select(p => !p.StartsWith("response-content-type=", StringComparison.Ordinal) ? p
                : p.Contains("html", StringComparison.Ordinal) ? "response-content-type=image%2Fsvg%2Bxml" : "response-content-type=text%2Fhtml")),
            2 => path,
            3 => path + "?" + string.Join('&', query.Split('&').Where(p => !p.StartsWith("X-Cctv-Signature", StringComparison.Ordinal))),
            4 => path + "?" + string.Join('&', query.Split('&').Select(p => p.StartsWith("X-Cctv-Expires=", StringComparison.Ordinal) ? "X-Cctv-Expires=1" : p)),
            5 => path.Replace(LocalBackend.ArchiveBucket, LocalBackend.StagingBucket, StringComparison.Ordinal) + "?" + query,
            _ => path + "x?" + query,
        };
    }

    private static string Traversal(Random r, Scene s) => Pick(r,
        "../../../../etc/passwd", "..%2f..%2f..%2fetc%2fpasswd", "%2e%2e/%2e%2e/cloud/catalog.db", "....//....//etc/passwd", "..\\..\\cloud\\catalog.db",
        "recordings/../../cctv-staging/" + s.Announced.Announcement.StagingObject, Pick(r, s.Theirs).ArchiveObject ?? "x", "//" + s.Theirs[^1].ArchiveObject,
        "../cctv-staging/" + s.PoisonStagingName, "%00", "a/%2e%2e/%2e%2e/%2e%2e/secrets/url-signing.key", "cloud/secrets/url-signing.key", new string('a', 3000),
        "%c0%ae%c0%ae/%c0%ae%c0%ae/etc/passwd", "..%252f..%252fcloud%252fcatalog.db", "./../dead-letters/", "../../cloud/events/");

    private static string Credential(Random r, string key) => Pick(r,
        "",
        "Bearer",
        "Bearer ",
        "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes("admin:admin")),
        "Bearer " + key[..^3] + "xyz",
        "Bearer cctv_000000000000_" + new string('A', 43),
        "Bearer cctv_" + Garbage(r, 80),
        "Bearer eyJhbGciOiJub25lIn0.eyJpc3MiOiJodHRwczovL2FjY291bnRzLmdvb2dsZS5jb20iLCJlbWFpbCI6ImJvcmlzQHNpdGUtYi5leGFtcGxlIn0.",
        "Bearer eyJhbGciOiJSUzI1NiJ9." + Convert.ToBase64String(Encoding.UTF8.GetBytes("{\"iss\":\"https://accounts.google.com\"}")) + ".sig",
        "Bearer " + new string('x', r.Next(1, 20_000)),
        "Bearer " + Garbage(r, 200),
        "bearer " + key,
        "Bearer " + key + " " + key);

    private static T Pick<T>(Random r, IReadOnlyList<T> choices) => choices[r.Next(choices.Count)];

    private static string Pick(Random r, params string[] choices) => choices[r.Next(choices.Length)];

    private static string Garbage(Random r, int length)
    {
        const string alphabet = "abcdefABCDEF0123456789-_.~%/\\:;'\"<>{}[]|`^ \t+=?&#@!$*()é漢\u0001";
        return new string([.. Enumerable.Range(0, r.Next(0, length + 1)).Select(_ => alphabet[r.Next(alphabet.Length)])]);
    }
}
