using System.Buffers.Text;
using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Cctv.Functions.Api;
using Cctv.Functions.Finalize;
using Cctv.Shared.Domain;
using Cctv.Shared.Local;
using Cctv.TestSupport.Sites;
using Xunit.Abstractions;

namespace Cctv.Functions.Tests.Api;

/// <summary>
/// Hostile traffic against the embedded backend's host over the two-site fixture (<see cref="TwoSiteHost"/>), as a
/// service client restricted to site A (its API key): more than 10,000 requests from a fixed seed, so a failure repeats.
/// Every route (recordings, cameras by key and by the bare <c>cam1</c> both sites have, status, playback links, /storage,
/// the player page); site A's real page tokens altered, moved to other queries, tokens issued to others replayed,
/// tokens made by hand from site B's rows; Host variants and HTTP/1.0 raw on the socket; <c>/functions/*</c> asked
/// anonymously or with the wrong credential; poison finalize events, with the operator's token too; traversal;
/// oversized headers and query strings; wrong methods. No answer may be a 5xx (or a dropped connection, but for
/// Kestrel refusing an oversized request); none may carry an ID, name, time or byte of site B that the request did
/// not carry (status line, headers, body, links, and the cursor inside every page token); each probe's own
/// expectation holds (a forged token or refused Host is 400, a function without the operator's credential 401, a
/// poison event 4xx, /storage sandboxed); no recording changed; and the host still serves site A afterwards.
/// </summary>
[Trait("Category", "Slow")]
public sealed partial class ApiFuzzTests(ITestOutputHelper output)
{
    private const int Requests = 10_400;
    private const int Seed = 20260115;

    /// <summary>What /storage may serve as itself; anything else must be an octet-stream attachment.</summary>
    private static readonly string[] SafeMediaTypes =
        ["video/mp4", "video/mp2t", "video/webm", "video/quicktime", "video/x-matroska", "audio/mp4", "audio/aac", "audio/mpeg",
         "application/vnd.apple.mpegurl", "application/x-mpegurl", "audio/mpegurl", "image/jpeg", "image/png", "image/webp", "application/octet-stream"];

    [GeneratedRegex("\"next_page_token\":\"([^\"]*)\"")]
    private static partial Regex PageToken();

    [GeneratedRegex(@"https?://([^/\s""'\\<>]+)/(?:storage|playback)/", RegexOptions.IgnoreCase)]
    private static partial Regex Link();

    [Fact]
    public async Task TenThousandHostileRequestsAsSiteA_NoServerError_NothingOfSiteB_NoRecordingChanged_AndSiteAIsStillServed()
    {
        await using TwoSiteHost host = await TwoSiteHost.StartAsync();
        Scene scene = await Scene.BuildAsync(host);
        Uri server = host.Host.BaseUri;

        var random = new Random(Seed);
        Func<Random, Probe>[] generators = Generators(scene, server);
        Probe[] probes = [.. Enumerable.Range(0, Requests).Select(_ => generators[random.Next(generators.Length)](random))];

        var failures = new ConcurrentQueue<string>(scene.Problems);
        var statuses = new ConcurrentDictionary<int, int>();
        var kinds = new ConcurrentDictionary<string, ConcurrentDictionary<int, int>>();
        using var client = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = false }) { BaseAddress = server, Timeout = TimeSpan.FromSeconds(60) };
        DateTime began = DateTime.UtcNow;
        await Parallel.ForEachAsync(probes, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (probe, ct) =>
        {
            Answer answer = await SendAsync(client, server, probe, ct);
            statuses.AddOrUpdate(answer.Status, 1, (_, n) => n + 1);
            kinds.GetOrAdd(probe.Kind, _ => new()).AddOrUpdate(answer.Status, 1, (_, n) => n + 1);
            if (Judge(scene, probe, answer) is { } wrong)
            {
                failures.Enqueue($"[{probe.Kind}] {probe.Method} {Shorten(probe.Target)} ({probe.Version}, {Shorten(probe.HostLines ?? "own host", 60).Trim()}, "
                    + $"{Shorten(probe.Authorization ?? "anonymous", 40)}): {wrong}\n    {Shorten(answer.Text, 400)}");
            }
        });

        foreach (string changed in await ChangesAsync(scene))
        {
            failures.Enqueue(changed);
        }
        output.WriteLine($"{probes.Length} requests in {(DateTime.UtcNow - began).TotalSeconds:F1} s (and {scene.SetupRequests} to set up), seed {Seed}: {Histogram(statuses)}");
        foreach ((string kind, ConcurrentDictionary<int, int> counts) in kinds.OrderBy(k => k.Key, StringComparer.Ordinal))
        {
            output.WriteLine($"  {kind,-32} {counts.Values.Sum(),5}: {Histogram(counts)}");
        }
        if (!failures.IsEmpty)
        {
            output.WriteLine("Bad answers by kind: " + string.Join(", ", failures.GroupBy(f => f[1..f.IndexOf(']', StringComparison.Ordinal)]).OrderByDescending(g => g.Count())
                .Select(g => $"{g.Key}×{g.Count()}")));
        }
        Assert.True(failures.IsEmpty, $"{failures.Count} bad answers of {probes.Length}, the first of each kind:\n"
            + string.Join('\n', failures.GroupBy(f => f[..f.IndexOf(']', StringComparison.Ordinal)]).Select(g => g.First()).Take(20)));
        int answered = statuses.Where(p => p.Key != Dropped).Sum(p => p.Value);
        Assert.True(answered >= 10_000, $"only {answered} of {probes.Length} requests were answered: {Histogram(statuses)}");
        Assert.True(statuses.Keys.Count >= 8, "the fuzzer should reach many kinds of answer: " + Histogram(statuses));
        string[] expectedKinds = ["recording", "get_urls", "list", "token-own", "token-bitflip", "token-truncated", "token-other-query", "token-of-" + TwoSites.KeyB,
            "token-handmade", "token-forged", "list-own", "camera", "camera-cam1", "status", "playback-own", "playback-forged", "storage-signed", "storage-tampered", "storage-forged",
            "traversal", "host", "http10", "functions", "poison", "oversized-header", "oversized-query", "method", "player"];
        Assert.All(expectedKinds, k => Assert.True(kinds.TryGetValue(k, out var c) && c.Values.Sum() >= 40, $"too few probes of kind {k}"));

        await SiteAIsStillServedAsync(scene);
    }

    /// <summary>What is wrong with an answer, or null.</summary>
    private static string? Judge(Scene s, Probe p, Answer a)
    {
        if (a.Status == Dropped)
        {
            return p.MayBeDropped ? null : "the connection failed: " + a.Text;
        }
        if (a.Status is < 100 or >= 500)
        {
            return $"answered {a.Status}";
        }
        string? unexpected = p.Expect switch
        {
            Expect.Success when a.Status is < 200 or >= 400 => "expected 2xx or 3xx",
            Expect.BadRequest when a.Status != 400 => "expected 400",
            Expect.Unauthorized when a.Status != 401 => "expected 401",
            Expect.NotFound when a.Status != 404 => "expected 404",
            Expect.ClientError when a.Status is < 400 or >= 500 => "expected a 4xx",
            Expect.NotBadRequest when a.Status == 400 => "expected an answer (the Host is allowed), not 400",
            _ => null,
        };
        if (unexpected is not null)
        {
            return $"{a.Status}, {unexpected}";
        }
        if (p.MustContain is { } must && !a.Body.Contains(must, StringComparison.Ordinal))
        {
            return $"the answer does not name {must}";
        }
        if (p.Lists is { } ids)
        {
            string[] listed;
            try
            {
                listed = [.. JsonDocument.Parse(a.Body).RootElement.GetProperty("results").EnumerateArray().Select(r => r.GetProperty("id").GetString()!)];
            }
            catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
            {
                return "a list answer that is not a list: " + e.Message;
            }
            if (!listed.SequenceEqual(ids))
            {
                return $"listed {listed.Length} recordings ({listed.Count(s.OwnIds.Contains)} of site A), not the page of {ids.Length} of site A's expected";
            }
        }
        // A token's text is base64url of bytes that end in a MAC, random with each run's key: read as text it can spell a
        // name of site B by chance (a CI run's cursor spelled 'dock'). What it carries is read from its decoded bytes below.
        var seen = new StringBuilder(PageToken().Replace(a.Text, "\"next_page_token\":\"(a cursor, read decoded)\""));
        foreach (Match m in PageToken().Matches(a.Body))
        {
            string token = m.Groups[1].Value;
            if (Cursor(token) is not { } cursor)
            {
                return $"a next_page_token that is not a sealed cursor: {token}";
            }
            if (!p.AsOperator && !s.OwnIds.Contains(cursor.Id))
            {
                return $"a next_page_token whose cursor is not a row of site A: {cursor.Id}";
            }
            // The cursor's own bytes, as the leak check reads them: its ID, its start time in every format, its raw bytes.
            seen.Append("\ncursor ").Append(cursor.Id).Append('\n').Append(Encoding.Latin1.GetString(Base64Url.DecodeFromChars(token)));
            if (cursor.Ticks >= DateTimeOffset.MinValue.UtcTicks && cursor.Ticks <= DateTimeOffset.MaxValue.UtcTicks)
            {
                seen.Append('\n').AppendJoin('\n', Scene.TimeForms(new DateTimeOffset(cursor.Ticks, TimeSpan.Zero)));
            }
        }
        string text = seen.ToString();
        if (!p.AsOperator && s.Forbidden.FirstOrDefault(f => text.Contains(f, StringComparison.OrdinalIgnoreCase) && !p.Carried.Contains(f, StringComparison.OrdinalIgnoreCase)) is { } leaked)
        {
            return $"carries '{leaked}' of site B";
        }
        foreach (Match m in Link().Matches(text))
        {
            string authority = m.Groups[1].Value.ToLowerInvariant();
            string hostName = authority.StartsWith('[') ? authority[..(authority.IndexOf(']') + 1)] : authority.Split(':')[0];
            if (hostName is not ("127.0.0.1" or "localhost" or "[::1]") && !p.Carried.Contains(m.Value, StringComparison.OrdinalIgnoreCase))
            {
                return $"a link to another host: {m.Value}";
            }
        }
        // Under /storage/ every answer is sandboxed, the Host check's refusals too (its headers are set before that check).
        return IsStorage(p.Target) ? StorageRule(a) : null;
    }

    /// <summary>A target the host routes under /storage/ (no dot segments or encodings that could take it elsewhere).</summary>
    private static bool IsStorage(string target)
    {
        string path = target.Split('?')[0];
        return path.StartsWith("/storage/", StringComparison.OrdinalIgnoreCase) && !path.Contains("..", StringComparison.Ordinal) && !path.Contains('\\', StringComparison.Ordinal)
            && !path.Contains("%2e", StringComparison.OrdinalIgnoreCase) && !path.Contains("%25", StringComparison.Ordinal) && !path.Contains("%c0", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>Every answer under /storage/ is sandboxed and unsniffable; what it serves is a media type or an attachment.</summary>
    private static string? StorageRule(Answer a)
    {
        bool kestrelRefusal = a.Status is 400 or 413 or 414 or 431 or 505 && a.Header("Content-Type") is null && a.Body.Length == 0;
        if (kestrelRefusal)
        {
            return null; // refused before the application ran, with nothing to sniff
        }
        if (a.Header("X-Content-Type-Options") != "nosniff")
        {
            return "a /storage answer without X-Content-Type-Options: nosniff";
        }
        if (a.Header("Content-Security-Policy")?.Contains("sandbox", StringComparison.Ordinal) != true)
        {
            return "a /storage answer without Content-Security-Policy: sandbox";
        }
        if (a.Status is 200 or 206)
        {
            string type = (a.Header("Content-Type") ?? "").Split(';')[0].Trim().ToLowerInvariant();
            if (!SafeMediaTypes.Contains(type))
            {
                return $"/storage served {type}, a type a browser may run";
            }
            if (type == "application/octet-stream" && a.Header("Content-Disposition")?.StartsWith("attachment", StringComparison.OrdinalIgnoreCase) != true)
            {
                return "/storage served application/octet-stream inline";
            }
        }
        return null;
    }

    /// <summary>What changed though no request may change anything (poison events, functions without the credential), and a poison not dead-lettered.</summary>
    private static async Task<List<string>> ChangesAsync(Scene s)
    {
        var changes = new List<string>();
        LocalBackend backend = s.Host.Host.Backend;
        DateTime deadline = DateTime.UtcNow.AddSeconds(20);
        while (backend.Events.Count > 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50); // the dispatcher's own delivery of the poison object's event
        }
        foreach ((string id, RecordingState before) in s.Before)
        {
            Recording? now = await backend.Catalog.GetAsync(id, CancellationToken.None);
            if (now is null || Scene.StateOf(now) != before)
            {
                changes.Add($"[state] recording {id} changed: {before} -> {(now is null ? "gone" : Scene.StateOf(now))}");
            }
        }
        IReadOnlyDictionary<CloudState, long> counts = await backend.Catalog.CountByStateAsync(CancellationToken.None);
        if (!s.CountsBefore.OrderBy(p => p.Key).SequenceEqual(counts.OrderBy(p => p.Key)))
        {
            changes.Add($"[state] recordings by state were {string.Join(", ", s.CountsBefore)}, are {string.Join(", ", counts)}");
        }
        if (!LocalDeadLetters.For(backend).List().Any(d => d.Reason.Contains(s.PoisonStagingName, StringComparison.Ordinal)))
        {
            changes.Add($"[state] the event of the poison object {s.PoisonStagingName} was not dead-lettered");
        }
        if (await backend.Store.GetAsync(LocalBackend.StagingBucket, s.PoisonStagingName, CancellationToken.None) is null)
        {
            changes.Add($"[state] the poison object {s.PoisonStagingName} was taken from staging");
        }
        return changes;
    }

    /// <summary>Afterwards the host still answers: health, site A's whole list, and an archived recording's bytes through its signed link.</summary>
    private static async Task SiteAIsStillServedAsync(Scene s)
    {
        TwoSiteHost host = s.Host;
        Assert.Equal(200, (await host.GetTextAsync("/healthz", TwoSites.KeyA)).Status);
        JsonElement list = await host.GetJsonAsync($"/api/recordings/?{host.Range}&page_size=100", TwoSites.KeyA);
        Assert.Equal(s.Own.Select(r => r.Id), list.GetProperty("results").EnumerateArray().Select(r => r.GetProperty("id").GetString()));
        Recording one = host.Sites.Recordings[TwoSites.ACam1][2];
        JsonElement url = await host.GetJsonAsync($"/api/recordings/{one.Id}/get_url/", TwoSites.KeyA);
        byte[] bytes = await host.Client.GetByteArrayAsync(new Uri(url.GetProperty("url").GetString()!).PathAndQuery);
        Assert.Equal(TwoSites.BytesOf(TwoSites.ACam1, 2), bytes);
        Assert.Equal(404, (await host.GetTextAsync($"/api/recordings/{s.Theirs[0].Id}/get_url/", TwoSites.KeyA)).Status);
    }

    private static string Histogram(IReadOnlyDictionary<int, int> counts) =>
        string.Join(", ", counts.OrderBy(p => p.Key).Select(p => $"{(p.Key == Dropped ? "dropped" : p.Key.ToString(System.Globalization.CultureInfo.InvariantCulture))}×{p.Value}"));

    private static string Shorten(string s, int max = 300)
    {
        string flat = s.Replace("\r", "\\r", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);
        return flat.Length <= max ? flat : flat[..max] + "…";
    }
}
