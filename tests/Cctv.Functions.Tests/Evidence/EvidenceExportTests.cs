using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text.Json;
using Cctv.Functions.Api;
using Cctv.Functions.Evidence;
using Cctv.Shared.Domain;
using Cctv.Shared.Evidence;
using Cctv.Shared.Hashing;
using Cctv.Shared.Local;
using Cctv.Shared.Ports;
using Cctv.Shared.Tests.Evidence;
using Cctv.TestSupport;
using Cctv.TestSupport.Sites;

namespace Cctv.Functions.Tests.Evidence;

/// <summary>
/// The evidence export, as a service and as <c>POST /api/cameras/{camera}/export</c>, over the two-site catalog
/// (rec-a and rec-b both have a <c>cam1</c>), each recorder's chain signed with its own key and its manifests archived
/// as the finalize path keeps them.
/// </summary>
public sealed class EvidenceExportTests : IAsyncLifetime, IDisposable
{
    private const int PerCamera = 6;
    private TwoSiteHost _host = null!;
    private readonly Dictionary<string, ECDsa> _keys = [];
    private readonly TempDir _dir = new();

    public async Task InitializeAsync()
    {
        _host = await TwoSiteHost.StartAsync(PerCamera);
        foreach (CameraKey camera in (CameraKey[])[TwoSites.ACam1, TwoSites.BCam1])
        {
            await SignChainAsync(camera);
        }
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        foreach (ECDsa key in _keys.Values)
        {
            key.Dispose();
        }
    }

    public void Dispose() => _dir.Dispose();

    private SqliteCatalog Catalog => _host.Host.Backend.Catalog;
    private LocalObjectStore Store => _host.Host.Backend.Store;
    private DateTimeOffset Start => _host.Sites.Start;

    private Task SignChainAsync(CameraKey camera) => SignedChains.SignAsync(Catalog, Store, _host.Sites, camera, _keys);

    private static DateTimeOffset Ms(DateTimeOffset t) => SignedChains.Ms(t);

    private EvidenceExport Export() => new(Catalog, Store, LocalBackend.ArchiveBucket, _host.Host.Clock);

    private ExportRequest Request(CameraKey camera, CatalogScope? scope = null, DateTimeOffset? from = null, DateTimeOffset? to = null) =>
        new(camera, from ?? Start.AddSeconds(6), to ?? Start.AddSeconds(18), scope ?? CatalogScope.Everything, "key:investigator", "api-key:k1", "test request 42", "192.0.2.9");

    private async Task<(string Path, ExportResult Result)> WriteAsync(ExportRequest request)
    {
        string path = Path.Combine(_dir.Path, $"{Guid.NewGuid():N}.zip");
        await using var file = File.Create(path);
        ExportResult result = await Export().WriteAsync(request, file, CancellationToken.None);
        return (path, result);
    }

    private async Task<List<AuditEntry>> AuditAsync(CameraKey camera) =>
        [.. (await Catalog.QueryAuditAsync(new AuditQuery(CatalogScope.Everything, camera, null, null, null, null, 500, null), CancellationToken.None)).Items];

    [Fact]
    public async Task Export_SiteACam1_BundleVerifiesIntact_WithOnlyThatRecordersSegmentsManifestsAndKey()
    {
        (string path, ExportResult result) = await WriteAsync(Request(TwoSites.ACam1));
        (BundleReport report, string text) = EvidenceBundles.Verify(path, [EvidencePublicKey.Of(_keys[TwoSites.RecA])]);

        Assert.True(report.IsIntact, text);
        Assert.Empty(result.Bundle.Problems);
        // Segments 1..4 overlap [6 s, 18 s): each rec-a's, none of rec-b's cam1 (same camera ID, same times).
        Assert.Equal(Enumerable.Range(1, 4).Select(i => RecordingId.For(TwoSites.RecA, "cam1", 1, i)), result.Bundle.Index.Segments.Select(s => s.RecordingId));
        Assert.All(EvidenceBundles.Files(path).Where(f => f.Name.StartsWith("segments/", StringComparison.Ordinal)),
            f => Assert.Contains("footage of site-a only", System.Text.Encoding.UTF8.GetString(f.Bytes), StringComparison.Ordinal));
        Assert.Equal([EvidencePublicKey.Of(_keys[TwoSites.RecA]).Fingerprint], result.Bundle.Index.KeyFiles.Select(k => k[5..^4]));
        Assert.Equal(TwoSites.ACam1, result.Bundle.Index.Camera);
        Assert.False(result.UnderLegalHold);
    }

    [Fact]
    public async Task Export_RecordsItselfInTheAuditFirst_CustodyListsTheReadsOfThisFootageOnly()
    {
        Recording inRange = _host.Sites.Recordings[TwoSites.ACam1][2];
        Recording outOfRange = _host.Sites.Recordings[TwoSites.ACam1][5];
        Recording otherSite = _host.Sites.Recordings[TwoSites.BCam1][2];
        foreach (Recording r in (Recording[])[inRange, outOfRange, otherSite])
        {
            await Catalog.RecordReadAsync(new AuditRead(AuditAction.Download, "user:reader@example.org", "id-token", r.Camera, [r.Id], null, null, "198.51.100.4", null, "req-" + r.Camera.RecorderId),
                CancellationToken.None);
        }

        (_, ExportResult result) = await WriteAsync(Request(TwoSites.ACam1));

        CustodyRecord custody = result.Bundle.Index.Custody;
        Assert.Equal(("key:investigator", "api-key:k1", "test request 42"), (custody.ExportedBy, custody.Credential, custody.Request));
        Assert.Equal(2, custody.Reads.Count);
        CustodyRead download = Assert.Single(custody.Reads, r => r.Action.StartsWith("download", StringComparison.Ordinal));
        Assert.Equal(($"recordings {inRange.Id}", "download (request req-rec-a)", "198.51.100.4"), (download.What, download.Action, download.From));
        CustodyRead itself = Assert.Single(custody.Reads, r => r.Action.StartsWith("export", StringComparison.Ordinal));
        Assert.Equal("key:investigator (api-key:k1)", itself.Who);
        AuditEntry export = (await AuditAsync(TwoSites.ACam1)).First(e => e.Read.Action == AuditAction.Export);
        Assert.Equal((Ms(Start.AddSeconds(6)), Ms(Start.AddSeconds(18)), "192.0.2.9"), (export.Read.From!.Value, export.Read.To!.Value, export.Read.ClientAddress));
        Assert.DoesNotContain(await AuditAsync(TwoSites.BCam1), e => e.Read.Action == AuditAction.Export);
    }

    /// <summary>
    /// The recorder of <paramref name="camera"/> went silent after its signed chain (segments 0-5, then its gap to 54 s): the
    /// sweep salvaged run 1 seq 6 (54 s to 56.5 s), which finalize archived as salvaged with the cloud's SHA-256.
    /// </summary>
    private async Task<(Recording Recording, byte[] Bytes)> SalvageAsync(CameraKey camera)
    {
        byte[] bytes = System.Text.Encoding.UTF8.GetBytes($"{camera}: salvaged footage of {camera.RecorderId} only " + new string('z', 200));
        DateTimeOffset start = Ms(Start.AddSeconds(54)), end = Ms(Start.AddSeconds(56.5));
        string id = RecordingId.For(camera.RecorderId, camera.CameraId, 1, 6);
        string offline = SalvageReasons.Offline(Start.AddSeconds(57));
        var synthesized = new RecordingAnnouncement(id, camera.RecorderId, camera.CameraId, camera.CameraId, 1, 6, start, start, 0, "", "", null, "video/mp4",
            ObjectNames.Staging(camera.RecorderId, camera.CameraId, id));
        Assert.Equal(TransitionOutcome.Applied, await Catalog.BeginSalvageAsync(synthesized, offline, CancellationToken.None));
        string archived = ObjectNames.Archive(camera, start, id);
        string crc = Crc32C.ToBase64(Crc32C.Compute(bytes));
        StoredObject stored = await Store.UploadAsync(new UploadRequest(LocalBackend.ArchiveBucket, archived, "video/mp4", crc, null, 0, new Dictionary<string, string>()),
            new MemoryStream(bytes), CancellationToken.None);
        var copy = new SalvagedCopy(1, archived, stored.Generation, bytes.Length, Convert.ToHexStringLower(SHA256.HashData(bytes)), crc, end,
            SalvageReasons.Finished(offline, bytes.Length));
        Assert.Equal(TransitionOutcome.Applied, await Catalog.MarkSalvagedAsync(id, copy, CancellationToken.None));
        return ((await Catalog.GetAsync(id, CancellationToken.None))!, bytes);
    }

    [Fact]
    public async Task Export_SignedThenSalvagedFootage_CarriesTheSalvagedSegmentByteForByte_AndVerifiesIntactListingIt()
    {
        (Recording salvaged, byte[] bytes) = await SalvageAsync(TwoSites.ACam1);
        await SalvageAsync(TwoSites.BCam1);

        (string path, ExportResult result) = await WriteAsync(Request(TwoSites.ACam1, to: Start.AddSeconds(60)));
        (BundleReport report, string text) = EvidenceBundles.Verify(path, [EvidencePublicKey.Of(_keys[TwoSites.RecA])]);

        Assert.Empty(result.Bundle.Problems);
        Assert.True(report.IsIntact, text);
        SalvagedSegment listed = Assert.Single(result.Bundle.Index.SalvagedSegments);
        Assert.Equal((salvaged.Id, salvaged.Announcement.Sha256, (long)bytes.Length, Ms(Start.AddSeconds(54)), Ms(Start.AddSeconds(56.5))),
            (listed.RecordingId, listed.Sha256, listed.Size, listed.Start, listed.End));
        Assert.Equal((salvaged.Reason, BundleLayout.SalvageFinisher, salvaged.ArchivedAt), (listed.Reason, listed.FinishedBy, listed.FinishedAt));
        Assert.StartsWith("recorder offline since ", listed.Reason, StringComparison.Ordinal);
        // rec-b's cam1 was salvaged at the same times under the same camera ID: not taken.
        (string Name, byte[] Bytes) file = Assert.Single(EvidenceBundles.Files(path), f => f.Name.StartsWith(BundleLayout.SalvagedFolder, StringComparison.Ordinal));
        Assert.Equal("salvaged/000001-000006.mp4", file.Name);
        Assert.Equal(bytes, file.Bytes);
        Assert.Equal([salvaged.Id], report.SalvagedSegments.Select(s => s.RecordingId));
        Assert.Equal(Ms(Start.AddSeconds(24)), report.CoveredTo);
        Assert.Contains("SALVAGED: salvaged/000001-000006.mp4", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Export_SalvagedRecordingUnderLegalHold_ResultAsksForTheBundleToBeHeld()
    {
        (Recording salvaged, _) = await SalvageAsync(TwoSites.ACam1);
        await Catalog.SetLegalHoldAsync(salvaged.Id, true, "burglary case 9", CancellationToken.None);

        (_, ExportResult result) = await WriteAsync(Request(TwoSites.ACam1, to: Start.AddSeconds(60)));

        Assert.True(result.UnderLegalHold);
    }

    [Fact]
    public async Task Export_CameraOutsideTheCallersScope_RefusedAsUnknown_AndNothingRecorded()
    {
        var siteB = CatalogScope.Of([TwoSites.RecB], []);

        var refused = await Assert.ThrowsAsync<ExportRefusedException>(() => WriteAsync(Request(TwoSites.ACam1, siteB)));

        Assert.Equal(ExportRefusal.UnknownCamera, refused.Refusal);
        Assert.Empty(await AuditAsync(TwoSites.ACam1));
        (_, ExportResult own) = await WriteAsync(Request(TwoSites.BCam1, siteB));
        var siteBIds = _host.Sites.Recordings[TwoSites.BCam1].Select(r => r.Id).ToHashSet();
        Assert.All(own.Bundle.Index.Segments, s => Assert.Contains(s.RecordingId, siteBIds));
    }

    [Theory]
    [InlineData(18, 6)]
    [InlineData(6, 6)]
    [InlineData(0, 24 * 3600 + 1)]
    public async Task Export_ReversedEmptyOrLongerThanADay_RefusedAsBadRange(int fromSeconds, int toSeconds)
    {
        var refused = await Assert.ThrowsAsync<ExportRefusedException>(() =>
            WriteAsync(Request(TwoSites.ACam1, from: Start.AddSeconds(fromSeconds), to: Start.AddSeconds(toSeconds))));

        Assert.Equal(ExportRefusal.BadRange, refused.Refusal);
        Assert.Empty(await AuditAsync(TwoSites.ACam1));
    }

    [Fact]
    public async Task Export_RangeWithoutArchivedFootage_RefusedAsNoFootage()
    {
        var refused = await Assert.ThrowsAsync<ExportRefusedException>(() =>
            WriteAsync(Request(TwoSites.ACam1, from: Start.AddHours(-3), to: Start.AddHours(-2))));

        Assert.Equal(ExportRefusal.NoFootage, refused.Refusal);
    }

    [Fact]
    public async Task Export_FootageWhoseManifestsAreNotArchivedYet_RefusedAsNoFootage_SayingToRetry()
    {
        // site A's gate has archived recordings but its recorder has signed no manifest of it yet.
        var refused = await Assert.ThrowsAsync<ExportRefusedException>(() => WriteAsync(Request(TwoSites.AGate)));

        Assert.Equal(ExportRefusal.NoFootage, refused.Refusal);
        Assert.Contains("no signed manifest", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Export_ARecordingInTheRangeUnderLegalHold_ResultAsksForTheBundleToBeHeld()
    {
        await Catalog.SetLegalHoldAsync(_host.Sites.Recordings[TwoSites.ACam1][3].Id, true, "case 7", CancellationToken.None);
        await Catalog.SetLegalHoldAsync(_host.Sites.Recordings[TwoSites.BCam1][3].Id, true, "case 8", CancellationToken.None);

        (_, ExportResult held) = await WriteAsync(Request(TwoSites.ACam1));
        (_, ExportResult notHeld) = await WriteAsync(Request(TwoSites.ACam1, from: Start.AddSeconds(20), to: Start.AddSeconds(24)));

        Assert.True(held.UnderLegalHold);
        Assert.False(notHeld.UnderLegalHold);
    }

    private async Task<(int Status, string Body)> PostAsync(string path, string keyName, string? host = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _host.Keys[keyName]);
        if (host is not null)
        {
            request.Headers.Host = host;
        }
        using HttpResponseMessage response = await _host.Client.SendAsync(request);
        return ((int)response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    private string Range(int fromSeconds = 6, int toSeconds = 18) =>
        $"from={Uri.EscapeDataString(RecordingItem.Iso(Start.AddSeconds(fromSeconds)))}&to={Uri.EscapeDataString(RecordingItem.Iso(Start.AddSeconds(toSeconds)))}";

    [Fact]
    public async Task ExportRoute_RangeWithSalvagedFootage_CountsTheSalvagedSegmentsApartFromTheSignedOnes()
    {
        await SalvageAsync(TwoSites.ACam1);
        await SalvageAsync(TwoSites.BCam1);

        (int status, string body) = await PostAsync($"/api/cameras/{TwoSites.ACam1}/export?{Range(6, 60)}", TwoSites.KeyA);

        Assert.True(status == 200, body);
        JsonElement json = JsonDocument.Parse(body).RootElement;
        Assert.Equal((5, 1), (json.GetProperty("segments").GetInt32(), json.GetProperty("salvaged").GetInt32()));
    }

    [Fact]
    public async Task ExportRoute_CallerGrantedTheSite_GetsASignedLinkToAnIntactBundleInTheArchive()
    {
        (int status, string body) = await PostAsync($"/api/cameras/{TwoSites.ACam1}/export?{Range()}", TwoSites.KeyA);

        Assert.True(status == 200, body);
        JsonElement json = JsonDocument.Parse(body).RootElement;
        string objectName = json.GetProperty("object_name").GetString()!;
        Assert.StartsWith(ExportApi.ExportPrefix, objectName, StringComparison.Ordinal);
        using HttpResponseMessage download = await _host.Client.GetAsync(new Uri(json.GetProperty("url").GetString()!));
        Assert.Equal(HttpStatusCode.OK, download.StatusCode);
        byte[] bundle = await download.Content.ReadAsByteArrayAsync();
        Assert.Equal((json.GetProperty("sha256").GetString(), json.GetProperty("size").GetInt64()), (Convert.ToHexStringLower(SHA256.HashData(bundle)), (long)bundle.Length));
        string path = Path.Combine(_dir.Path, "downloaded.zip");
        await File.WriteAllBytesAsync(path, bundle);
        (BundleReport report, string text) = EvidenceBundles.Verify(path, [EvidencePublicKey.Of(_keys[TwoSites.RecA])]);
        Assert.True(report.IsIntact, text);
        Assert.StartsWith($"key:{TwoSites.KeyA}", report.Index.Custody.ExportedBy, StringComparison.Ordinal);
        Assert.False((await Store.GetAsync(LocalBackend.ArchiveBucket, objectName, CancellationToken.None))!.EventBasedHold);
        Assert.Contains(await AuditAsync(TwoSites.ACam1), e => e.Read.Action == AuditAction.Export && e.Read.Principal == $"key:{TwoSites.KeyA}");
    }

    [Theory]
    [InlineData(TwoSites.KeyA, "rec-b~cam1")]
    [InlineData(TwoSites.KeyB, "rec-a~cam1")]
    [InlineData(TwoSites.KeyACam1, "rec-a~gate")]
    [InlineData(TwoSites.KeyNobody, "rec-a~cam1")]
    [InlineData(TwoSites.KeyA, "rec-a~cam1~x")]
    [InlineData(TwoSites.KeyA, "..%2F..%2Fetc")]
    [InlineData(TwoSites.KeyA, "rec-a%7Ecam1%00", 400)]
    [InlineData(TwoSites.KeyA, "%E2%80%AE1mac~a-cer")]
    public async Task ExportRoute_CameraNotGrantedOrForged_Is4xx_AndNothingIsWritten(string keyName, string camera, int expected = 404)
    {
        (int status, string body) = await PostAsync($"/api/cameras/{camera}/export?{Range()}", keyName);

        Assert.True(status == expected, $"{status} {body}");
        Assert.DoesNotContain("site-b", body, StringComparison.Ordinal);
        Assert.Empty(await ExportsAsync());
    }

    [Theory]
    [InlineData("from=2026-01-01T00:00:10Z&to=2026-01-01T00:00:00Z")]
    [InlineData("from=2026-01-01T00:00:00Z&to=2026-01-02T00:00:01Z")]
    [InlineData("from=2026-01-01T00:00:00Z&to=2036-01-01T00:00:00Z")]
    [InlineData("from=yesterday&to=today")]
    [InlineData("from=2026-01-01T00:00:00Z")]
    [InlineData("from=2026-01-01T00:00:00Z&from=2026-01-01T00:00:01Z&to=2026-01-01T00:00:05Z")]
    [InlineData("from=99999-01-01T00:00:00Z&to=99999-01-02T00:00:00Z")]
    public async Task ExportRoute_BadOrHugeRange_Is400_AndNothingIsWrittenOrRecorded(string query)
    {
        (int status, string body) = await PostAsync($"/api/cameras/{TwoSites.ACam1}/export?{query}", TwoSites.KeyA);

        Assert.True(status == 400, $"{status} {body}");
        Assert.Empty(await ExportsAsync());
        Assert.Empty(await AuditAsync(TwoSites.ACam1));
    }

    [Fact]
    public async Task ExportRoute_BadHost_IsRefusedBeforeAnyExport()
    {
        (int status, _) = await PostAsync($"/api/cameras/{TwoSites.ACam1}/export?{Range()}", TwoSites.KeyA, host: "evil.example");

        Assert.Equal(400, status);
        Assert.Empty(await ExportsAsync());
    }

    [Fact]
    public async Task ExportRoute_NoFootageInRange_Is404()
    {
        (int status, string body) = await PostAsync($"/api/cameras/{TwoSites.ACam1}/export?{Range(-7200, -3600)}", TwoSites.KeyA);

        Assert.True(status == 404, $"{status} {body}");
        Assert.Empty(await ExportsAsync());
    }

    [Fact]
    public async Task ExportRoute_ARecordingUnderLegalHold_PutsTheBundleObjectUnderAnEventBasedHold()
    {
        await Catalog.SetLegalHoldAsync(_host.Sites.Recordings[TwoSites.ACam1][2].Id, true, "case 7", CancellationToken.None);

        (int status, string body) = await PostAsync($"/api/cameras/{TwoSites.ACam1}/export?{Range()}", TwoSites.KeyOperator);

        Assert.True(status == 200, body);
        JsonElement json = JsonDocument.Parse(body).RootElement;
        Assert.True(json.GetProperty("legal_hold").GetBoolean());
        StoredObject bundle = (await Store.GetAsync(LocalBackend.ArchiveBucket, json.GetProperty("object_name").GetString()!, CancellationToken.None))!;
        Assert.True(bundle.EventBasedHold);
    }

    [Fact]
    public async Task ExportRoute_TheAuditCannotRecordIt_Is503_AndNoBundleIsWritten()
    {
        // A real failure of the real catalog: SQLite itself refuses every insert into the audit.
        using (var c = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(_host.Host.DataDir, "cloud", "catalog.db")};Pooling=False"))
        {
            c.Open();
            using Microsoft.Data.Sqlite.SqliteCommand refuse = c.CreateCommand();
            refuse.CommandText = "CREATE TRIGGER refuse_audit BEFORE INSERT ON audit BEGIN SELECT RAISE(ABORT, 'the disk is full'); END;";
            refuse.ExecuteNonQuery();
        }

        (int status, string body) = await PostAsync($"/api/cameras/{TwoSites.ACam1}/export?{Range()}", TwoSites.KeyA);

        Assert.True(status == 503, $"{status} {body}");
        Assert.Contains("could not be recorded in the audit log", body, StringComparison.Ordinal);
        Assert.DoesNotContain("/storage/", body, StringComparison.Ordinal);
        Assert.Empty(await ExportsAsync());
    }

    private async Task<List<string>> ExportsAsync()
    {
        var names = new List<string>();
        await foreach (StoredObject o in Store.ListAsync(LocalBackend.ArchiveBucket, ExportApi.ExportPrefix, CancellationToken.None))
        {
            names.Add(o.Name);
        }
        return names;
    }
}
