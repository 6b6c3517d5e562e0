using System.Buffers.Binary;
using System.Buffers.Text;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Cctv.Functions.Api;
using Cctv.Shared.Domain;
using Cctv.Shared.Hashing;
using Cctv.Shared.Local;
using Cctv.Shared.Ports;
using Cctv.TestSupport.Sites;

namespace Cctv.Functions.Tests.Api;

/// <summary>What the fuzzer works with: the two sites, what it added to them, what it harvested as each caller, and what must not leak.</summary>
public sealed partial class ApiFuzzTests
{
    /// <summary>
    /// A list query (without its page_token), what it is bound to (the cameras it resolves to, its range and page size),
    /// and, for site A's, the IDs it lists, page after page.
    /// </summary>
    private sealed record ListQuery(string Text, string Binding, IReadOnlyList<string> Expected, int Size)
    {
        /// <summary>The page that follows a cursor at <paramref name="afterId"/> (the first page for null).</summary>
        public string[] PageAfter(string? afterId) =>
            [.. Expected.Skip(afterId is null ? 0 : Expected.ToList().IndexOf(afterId) + 1).Take(Size)];
    }

    /// <summary>A page token as the API issued it: to whom, for which query.</summary>
    private sealed record IssuedToken(string KeyName, ListQuery Query, string Token);

    /// <summary>A recording's state as the catalog holds it, to show that no request changed it.</summary>
    private sealed record RecordingState(CloudState State, long Version, string? Reason, long? StagingGeneration, string? ArchiveObject, long? ArchiveGeneration);

    private sealed class Scene
    {
        private Scene(TwoSiteHost host) => Host = host;

        public TwoSiteHost Host { get; }

        public TwoSites Sites => Host.Sites;

        public string KeyA => Host.Keys[TwoSites.KeyA];

        public DateTimeOffset Start => Sites.Start;

        /// <summary>Site A's recordings (archived, lost, and archived ones announced as types a browser would run), newest first.</summary>
        public List<Recording> Own { get; } = [];

        /// <summary>Site A's archived recordings.</summary>
        public List<Recording> OwnArchived => [.. Own.Where(r => r.State == CloudState.Archived)];

        /// <summary>Site B's recordings, with those at times site A has none and one announced but never uploaded.</summary>
        public List<Recording> Theirs { get; } = [];

        /// <summary>Site B's recording that is only announced; its bytes wait in staging under site A's prefix (a poison name).</summary>
        public Recording Announced { get; private set; } = null!;

        public string PoisonStagingName => ObjectNames.Staging(TwoSites.RecA, "cam1", Announced.Id);

        /// <summary>What no answer to site A may carry unless the request did.</summary>
        public string[] Forbidden { get; private set; } = [];

        public HashSet<string> OwnIds { get; } = new(StringComparer.Ordinal);

        public Dictionary<string, RecordingState> Before { get; } = [];

        public IReadOnlyDictionary<CloudState, long> CountsBefore { get; private set; } = new Dictionary<CloudState, long>();

        /// <summary>Site A's list queries; the tokens each issued to site A, and tokens issued to others (site B, a camera viewer, an operator key).</summary>
        public List<ListQuery> Queries { get; } = [];

        public List<IssuedToken> OwnTokens { get; } = [];

        public List<IssuedToken> ForeignTokens { get; } = [];

        /// <summary>Signed /storage links of site A's archived recordings (path and query), as get_url, download and stream gave them.</summary>
        public List<string> StorageLinks { get; } = [];

        /// <summary>Site A's playback links (from its playlist), and one of site B's (minted with the host's key), to forge from.</summary>
        public List<string> OwnPlaybackLinks { get; } = [];

        public string TheirPlaybackLink { get; private set; } = "";

        /// <summary>Requests site A may make (for Host and HTTP/1.0 variants), with the credential each needs.</summary>
        public List<(string Target, bool Authenticated)> Routes { get; } = [];

        public int SetupRequests { get; private set; }

        /// <summary>What the walk through site A's pages found wrong (reported with the fuzzer's failures).</summary>
        public List<string> Problems { get; } = [];

        public static async Task<Scene> BuildAsync(TwoSiteHost host)
        {
            var scene = new Scene(host);
            await scene.SeedAsync();
            await scene.WalkAsync();
            await scene.HarvestLinksAsync();
            return scene;
        }

        /// <summary>Site A's answers carry site A's times; site B's extra recordings are at times site A has none, in every format the API prints.</summary>
        public static IEnumerable<string> TimeForms(DateTimeOffset t)
        {
            DateTime u = t.UtcDateTime;
            return
            [
                u.ToString("yyyy-MM-dd'T'HH:mm:ss", CultureInfo.InvariantCulture),
                u.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture),
                u.ToString("yyyyMMdd'T'HHmmss", CultureInfo.InvariantCulture),
                t.UtcTicks.ToString(CultureInfo.InvariantCulture),
                t.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture),
                t.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture),
            ];
        }

        private async Task SeedAsync()
        {
            CancellationToken ct = CancellationToken.None;
            LocalBackend backend = Host.Host.Backend;
            // Site A: recordings a recorder announced as types a browser would run, if /storage served them as announced.
            string[] dangerous = ["text/html", "image/svg+xml", "application/javascript; charset=utf-8"];
            for (int i = 0; i < dangerous.Length; i++)
            {
                byte[] page = Encoding.UTF8.GetBytes($"<html><script>fetch('/api/status')</script>rec-a/gate/{50 + i}</html>");
                Own.Add(await ArchiveAsync(backend, TwoSites.AGate, 50 + i, Start.AddSeconds(100 + 4 * i), dangerous[i], page));
            }
            Own.AddRange(TwoSites.CamerasOf(TwoSites.SiteA).SelectMany(c => Sites.Recordings[c]).Append(Sites.Lost[TwoSites.SiteA]));
            // Site B: recordings at times of its own (site A has none then), and one announced whose bytes sit in staging under site A's prefix.
            var theirTimes = new List<DateTimeOffset>();
            for (int i = 0; i < 3; i++)
            {
                DateTimeOffset at = Start.AddSeconds(301 + 4 * i);
                theirTimes.Add(at);
                Theirs.Add(await ArchiveAsync(backend, TwoSites.BDock, 100 + i, at, "video/mp4", TwoSites.BytesOf(TwoSites.BDock, 100 + i)));
            }
            DateTimeOffset announcedAt = Start.AddSeconds(313);
            theirTimes.Add(announcedAt);
            byte[] bytes = TwoSites.BytesOf(TwoSites.BCam1, 600);
            SegmentDigest digest = await SegmentHasher.HashAsync(new MemoryStream(bytes), ct);
            RecordingAnnouncement announced = TwoSites.Announcement(TwoSites.BCam1, 600, announcedAt, digest.Size, digest.Sha256)
                with { Crc32C = digest.Crc32CBase64, Md5 = digest.Md5 };
            await backend.Catalog.AnnounceAsync(announced, ct);
            Announced = (await backend.Catalog.GetAsync(announced.Id, ct))!;
            Theirs.Add(Announced);
            Theirs.AddRange(TwoSites.CamerasOf(TwoSites.SiteB).SelectMany(c => Sites.Recordings[c]).Append(Sites.Lost[TwoSites.SiteB]));

            Own.Sort(NewestFirst);
            OwnIds.UnionWith(Own.Select(r => r.Id));
            Forbidden =
            [
                .. Sites.Secrets(TwoSites.SiteB),
                .. Theirs.SelectMany(r => new[] { r.Id, r.Announcement.StagingObject, r.ArchiveObject }).OfType<string>(),
                .. theirTimes.SelectMany(TimeForms),
                "dock",
            ];
            foreach (Recording r in Own.Concat(Theirs))
            {
                Before[r.Id] = StateOf((await backend.Catalog.GetAsync(r.Id, ct))!);
            }
            CountsBefore = await backend.Catalog.CountByStateAsync(ct);
            // Only now the poison object: the host's own dispatcher is told of it at once (and must refuse it).
            await backend.Store.UploadAsync(new UploadRequest(LocalBackend.StagingBucket, PoisonStagingName, "video/mp4", digest.Crc32CBase64, digest.Md5, 0,
                new Dictionary<string, string> { [ObjectMetadata.Sha256] = digest.Sha256 }), new MemoryStream(bytes), ct);
        }

        public static RecordingState StateOf(Recording r) => new(r.State, r.Version, r.Reason, r.StagingGeneration, r.ArchiveObject, r.ArchiveGeneration);

        public static int NewestFirst(Recording x, Recording y)
        {
            int byStart = y.Announcement.StartTime.CompareTo(x.Announcement.StartTime);
            return byStart != 0 ? byStart : string.CompareOrdinal(y.Id, x.Id);
        }

        private static async Task<Recording> ArchiveAsync(LocalBackend backend, CameraKey camera, int seq, DateTimeOffset at, string contentType, byte[] bytes)
        {
            CancellationToken ct = CancellationToken.None;
            SegmentDigest digest = await SegmentHasher.HashAsync(new MemoryStream(bytes), ct);
            RecordingAnnouncement a = TwoSites.Announcement(camera, seq, at, digest.Size, digest.Sha256)
                with { Crc32C = digest.Crc32CBase64, Md5 = digest.Md5, ContentType = contentType };
            string archive = ObjectNames.Archive(a.Camera, at, a.Id);
            StoredObject stored = await backend.Store.UploadAsync(new UploadRequest(LocalBackend.ArchiveBucket, archive, contentType, digest.Crc32CBase64, digest.Md5, 0,
                new Dictionary<string, string>()), new MemoryStream(bytes), ct);
            await backend.Catalog.AnnounceAsync(a, ct);
            await backend.Catalog.MarkStagedAsync(a.Id, 1, ct);
            await backend.Catalog.MarkArchivedAsync(a.Id, archive, stored.Generation, ct);
            return (await backend.Catalog.GetAsync(a.Id, ct))!;
        }

        /// <summary>
        /// Pages through site A's lists (every camera filter, with and without a range, several page sizes): every page but
        /// the last is full, the pages together are exactly site A's recordings, and every token's cursor is the page's last
        /// row. The tokens are kept, and tokens issued to others for the same queries.
        /// </summary>
        private async Task WalkAsync()
        {
            (string Text, CameraKey[] Cameras)[] cameras =
            [
                ("", []),
                ("camera_id=cam1&", [TwoSites.ACam1]),
                ("camera_id=rec-a~cam1&", [TwoSites.ACam1]),
                ("camera_id=gate&", [TwoSites.AGate]),
                ("camera_id=rec-a~gate&camera_id=cam1&", [TwoSites.ACam1, TwoSites.AGate]),
            ];
            string[] ranges = ["", Host.Range + "&"];
            foreach ((string cameraText, CameraKey[] keys) in cameras)
            {
                for (int range = 0; range < ranges.Length; range++)
                {
                    foreach (int size in (int[])[1, 2, 3, 7])
                    {
                        List<string> expected = [.. Own.Where(r => keys.Length == 0 || keys.Contains(r.Camera)).Select(r => r.Id)];
                        var query = new ListQuery($"/api/recordings/?{cameraText}{ranges[range]}page_size={size}&",
                            $"{string.Join(',', keys.Select(k => k.ToString()).Order(StringComparer.Ordinal))}|{range}|{size}", expected, size);
                        Queries.Add(query);
                        (List<string> listed, List<string> tokens) = await PagesAsync(TwoSites.KeyA, query, size, int.MaxValue);
                        if (!expected.SequenceEqual(listed))
                        {
                            Problems.Add($"[walk] {query.Text} as site A listed {listed.Count} recordings, {listed.Count(OwnIds.Contains)} of them its own, of its {expected.Count}");
                        }
                        OwnTokens.AddRange(tokens.Select(t => new IssuedToken(TwoSites.KeyA, query, t)));
                    }
                }
            }
            (string Key, string Text)[] foreign =
            [
                (TwoSites.KeyB, ""), (TwoSites.KeyB, "camera_id=cam1&"), (TwoSites.KeyB, "camera_id=rec-b~dock&"),
                (TwoSites.KeyACam1, "camera_id=rec-a~cam1&"), (TwoSites.KeyACam1, "camera_id=cam1&"),
                (TwoSites.KeyOperator, ""), (TwoSites.KeyOperator, "camera_id=rec-a~cam1&"),
            ];
            foreach ((string key, string text) in foreign)
            {
                foreach (string range in ranges)
                {
                    foreach (int size in (int[])[1, 2, 3])
                    {
                        var query = new ListQuery($"/api/recordings/?{text}{range}page_size={size}&", key, [], size);
                        ForeignTokens.AddRange((await PagesAsync(key, query, size, 3)).Tokens.Select(t => new IssuedToken(key, query, t)));
                    }
                }
            }
        }

        /// <summary>Follows a query's tokens as <paramref name="keyName"/> (at most <paramref name="maxPages"/> pages): the IDs listed and the tokens issued.</summary>
        private async Task<(List<string> Listed, List<string> Tokens)> PagesAsync(string keyName, ListQuery query, int size, int maxPages)
        {
            var listed = new List<string>();
            var tokens = new List<string>();
            string? token = null;
            for (int page = 0; page < maxPages; page++)
            {
                (int status, string body) = await Host.GetTextAsync(query.Text + (token is null ? "" : "page_token=" + Uri.EscapeDataString(token)), keyName);
                SetupRequests++;
                if (status != 200)
                {
                    Problems.Add($"[walk] {query.Text} as {keyName}: {status} {body}");
                    break;
                }
                JsonElement json = JsonDocument.Parse(body).RootElement;
                List<string> ids = [.. json.GetProperty("results").EnumerateArray().Select(r => r.GetProperty("id").GetString()!)];
                listed.AddRange(ids);
                token = json.GetProperty("next_page_token").GetString();
                if (token is null)
                {
                    break;
                }
                if (ids.Count != size || Cursor(token)?.Id != ids[^1])
                {
                    Problems.Add($"[walk] {query.Text} as {keyName}: a page of {ids.Count} of {size} came with a next_page_token after {Cursor(token)?.Id}");
                }
                tokens.Add(token);
            }
            return (listed, tokens);
        }

        private async Task HarvestLinksAsync()
        {
            foreach (Recording r in OwnArchived)
            {
                JsonElement url = await Host.GetJsonAsync($"/api/recordings/{r.Id}/get_url/", TwoSites.KeyA);
                StorageLinks.Add(new Uri(url.GetProperty("url").GetString()!).PathAndQuery);
                foreach (string how in (string[])["download", "stream"])
                {
                    using HttpResponseMessage redirect = await Host.GetAsync($"/api/recordings/{r.Id}/{how}/", TwoSites.KeyA);
                    StorageLinks.Add(redirect.Headers.Location!.PathAndQuery);
                }
                SetupRequests += 3;
            }
            (int status, string playlist) = await Host.GetTextAsync($"/api/cameras/rec-a~cam1/playlist.m3u8?{Host.Range}", TwoSites.KeyA);
            Assert.Equal(200, status);
            OwnPlaybackLinks.AddRange(playlist.Split('\n').Where(l => l.StartsWith(PlaybackLinks.PathPrefix, StringComparison.Ordinal)));
            Assert.NotEmpty(OwnPlaybackLinks);
            SetupRequests++;
            TheirPlaybackLink = (await PlaybackLinks.FromCatalogAsync(Host.Host.Backend.Catalog, CancellationToken.None))
                .For(Theirs[0].Id, Host.Host.Clock.GetUtcNow().AddHours(1));

            Recording one = OwnArchived[0];
            Routes.AddRange(
            [
                ($"/api/recordings/{one.Id}/get_url/", true),
                ($"/api/recordings/get_urls/?ids={one.Id}&ids={OwnArchived[1].Id}", true),
                ($"/api/recordings/{one.Id}/download/", true),
                ($"/api/recordings/{one.Id}/stream/", true),
                ($"/api/recordings/{one.Id}/", true),
                ("/api/recordings/?page_size=3", true),
                ("/api/cameras/", true),
                ($"/api/cameras/cam1/timeline/?{Host.Range}", true),
                ($"/api/cameras/rec-a~cam1/playlist.m3u8?{Host.Range}", true),
                ($"/api/cameras/gate/gaps/?{Host.Range}", true),
                (OwnPlaybackLinks[0], false),
                (StorageLinks[0], false),
                ("/player/", false),
                ("/healthz", false),
            ]);
        }
    }

    /// <summary>The cursor inside a page token (version, start ticks, ID length, ID, MAC), or null if it is not one.</summary>
    private static (long Ticks, string Id)? Cursor(string token)
    {
        byte[] raw;
        try
        {
            raw = Base64Url.DecodeFromChars(token);
        }
        catch (FormatException)
        {
            return null;
        }
        return raw.Length < 10 || raw.Length < 10 + raw[9] ? null : (BinaryPrimitives.ReadInt64BigEndian(raw.AsSpan(1)), Encoding.UTF8.GetString(raw, 10, raw[9]));
    }
}
