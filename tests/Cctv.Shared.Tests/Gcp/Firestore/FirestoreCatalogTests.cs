using System.Collections.Concurrent;
using System.Text.Json;
using Cctv.Shared.Domain;
using Cctv.Shared.Gcp;
using Cctv.Shared.Gcp.Firestore;
using Cctv.Shared.Ports;

namespace Cctv.Shared.Tests.Gcp.Firestore;

/// <summary>
/// The catalog contract (<see cref="CatalogContractTests"/>) on the Firestore emulator, plus what only Firestore has:
/// the document layout the deployment's indexes assume, and the update-time guard at the database itself.
/// Each test gets its own project ID, so tests never see each other's documents. Every query a test makes the catalog
/// issue must be one of shared/Gcp/Firestore/catalog-queries.json (whose indexes terraform declares): checked when the
/// test ends, so the contract tests check it for every operation they call.
/// </summary>
[Collection(FirestoreEmulatorCollection.Name)]
public sealed class FirestoreCatalogTests : CatalogContractTests, IAsyncLifetime
{
    private readonly FirestoreEmulatorFixture _emulator;
    private readonly FirestoreClient _client;
    private readonly FirestoreCatalog _catalog;
    private readonly ConcurrentQueue<FirestoreQuery> _issued = new();

    public FirestoreCatalogTests(FirestoreEmulatorFixture emulator)
    {
        _emulator = emulator;
        _client = new FirestoreClient(emulator.Endpoint, "cctv-test-" + Guid.NewGuid().ToString("N")[..12]) { QueryObserver = _issued.Enqueue };
        _catalog = new FirestoreCatalog(_client, Clock);
    }

    protected override ICatalog Catalog => _catalog;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        await _emulator.ClearAsync(_client.ProjectId);
        AssertEveryQueryIsInTheTable();
    }

    private void AssertEveryQueryIsInTheTable()
    {
        foreach (string shape in _issued.Select(CatalogQueryTable.ShapeOf).Distinct())
        {
            Assert.True(CatalogQueryTable.Shapes.Contains(shape),
                $"the catalog issued the query {shape}, which {CatalogQueryTable.FileName} does not list: no declared index may serve it (list it, and declare its index in terraform/firestore.tf, led by the recorder or a shard)");
        }
    }

    [Fact]
    public async Task AnnounceMany_OfNewRecordings_IsOneCommit_AllWithItsTime()
    {
        IReadOnlyList<RecordingAnnouncement> pass = [.. Enumerable.Range(1, 16).Select(i => Announcement($"cam{i}", 0))];

        await Catalog.AnnounceManyAsync(pass, CancellationToken.None);

        var times = new HashSet<string>();
        foreach (RecordingAnnouncement a in pass)
        {
            times.Add((await _client.GetAsync(_client.DocumentName("recordings", a.Id), CancellationToken.None))!.UpdateTime);
        }
        Assert.Single(times);
    }

    [Fact]
    public async Task EveryQueryTheCatalogIssues_IsOneTheIndexTableLists()
    {
        RecordingAnnouncement a = Announcement("cam1", 0);
        await Catalog.AnnounceAsync(a, CancellationToken.None);
        CameraKey cam1 = new("r1", "cam1");
        await Catalog.QueryAsync(new RecordingQuery([cam1], T0, T0.AddHours(1), 10, null, CatalogScope.Everything), CancellationToken.None);
        await Catalog.QueryAsync(new RecordingQuery(null, T0, T0.AddHours(1), 10, null, CatalogScope.Everything), CancellationToken.None);
        await Catalog.QueryAsync(new RecordingQuery(null, null, null, 10, null, CatalogScope.Of(["r1", "r2"], [])), CancellationToken.None);
        await Catalog.ListByStateAsync(CloudState.Announced, new StateCursor(T0, a.Id), 10, CancellationToken.None);
        await Catalog.ListArchivedBeforeAsync(cam1, T0.AddDays(1), 10, CancellationToken.None);
        await Catalog.GetDeliveryStatsAsync(T0, T0.AddDays(1), CancellationToken.None);
        await Catalog.CountByStateAsync(CancellationToken.None);
        await Catalog.ListGapsAsync(cam1, T0, T0.AddDays(1), CancellationToken.None);
        await Catalog.ListCamerasAsync(CatalogScope.Everything, CancellationToken.None);
        await Catalog.ListRecordersAsync(CancellationToken.None);
        await Catalog.ListRecorderSitesAsync(CancellationToken.None);
        await Catalog.ListGrantsAsync("user:a@example.com", CancellationToken.None);

        AssertEveryQueryIsInTheTable();
        Assert.True(_issued.Count >= 12, $"only {_issued.Count} queries were seen");
        Assert.Contains(_issued, q => q.Filters.Any(f => f.Field == CatalogDocuments.Shard && f.Op == FirestoreOperator.In));
    }

    [Fact]
    public async Task EveryTimeFieldTheCatalogWrites_IsListedAsGrowing_AndEveryListedFieldIsWritten()
    {
        RecordingAnnouncement a = Announcement("cam1", 0);
        await Catalog.AnnounceAsync(a, CancellationToken.None);
        await Catalog.MarkStagedAsync(a.Id, 1_700_000_000_000_001, CancellationToken.None);
        await Catalog.MarkArchivedAsync(a.Id, "archive/r1/cam1/0.mp4", 1_700_000_000_000_002, CancellationToken.None);
        await Catalog.RecordGapAsync(new RecordingGap("g1", "r1", "cam1", T0, T0.AddMinutes(1), "camera stream lost"), CancellationToken.None);
        await Catalog.RecordHeartbeatAsync(new RecorderHeartbeat("r1", T0, 3, 3000, T0.AddMinutes(-1), "1.0"), CancellationToken.None);
        await Catalog.SaveCheckpointAsync("sweep", "x", CancellationToken.None);
        AuditEntry read = await Catalog.RecordReadAsync(new AuditRead(AuditAction.Playlist, "user:anna", "id-token", new CameraKey("r1", "cam1"), [],
            T0, T0.AddMinutes(1), "::1", null, "req"), CancellationToken.None);
        var documents = new (string Collection, string Id)[]
        {
            (CatalogDocuments.Recordings, a.Id), (CatalogDocuments.Gaps, "g1"), (CatalogDocuments.Recorders, "r1"), (CatalogDocuments.Checkpoints, "sweep"),
            (FirestoreCatalog.AuditCollection, read.Id),
        };

        foreach ((string collection, string id) in documents)
        {
            using JsonDocument? raw = await _emulator.Endpoint.SendAsync(HttpMethod.Get, $"v1/{_client.DocumentName(collection, id)}", null, CancellationToken.None);
            var fields = raw!.RootElement.GetProperty("fields").EnumerateObject().ToList();
            IReadOnlyList<string> growing = CatalogQueryTable.GrowingFields[collection];
            foreach (JsonProperty field in fields.Where(f => f.Value.TryGetProperty("timestampValue", out _) || f.Name.EndsWith("_generation", StringComparison.Ordinal)))
            {
                Assert.True(growing.Contains(field.Name), $"{collection}.{field.Name} grows with time but {CatalogQueryTable.FileName} does not list it, so terraform would not exempt it from single-field indexing");
            }
            Assert.All(growing, g => Assert.Contains(fields, f => f.Name == g));
        }
    }

    [Fact]
    public async Task Recording_IsStoredWithTheFieldNamesAndTypesTheIndexesUse()
    {
        RecordingAnnouncement a = Announcement("cam1", 2) with { StartTime = T0.AddTicks(1_234_560) };
        await Catalog.AnnounceAsync(a, CancellationToken.None);

        using JsonDocument? raw = await _emulator.Endpoint.SendAsync(
            HttpMethod.Get, $"v1/{_client.DocumentName(CatalogDocuments.Recordings, a.Id)}", null, CancellationToken.None);
        JsonElement fields = raw!.RootElement.GetProperty("fields");

        Assert.Equal("cam1", fields.GetProperty("camera_id").GetProperty("stringValue").GetString());
        Assert.Equal("announced", fields.GetProperty("state").GetProperty("stringValue").GetString());
        Assert.Equal("2026-01-15T03:00:00.123456Z", fields.GetProperty("start_time").GetProperty("timestampValue").GetString());
        Assert.True(fields.GetProperty("updated_at").TryGetProperty("timestampValue", out _));
        Assert.True(fields.GetProperty("announced_at").TryGetProperty("timestampValue", out _));
        Assert.Equal("1002", fields.GetProperty("file_size").GetProperty("integerValue").GetString());
        Assert.Equal(JsonValueKind.Null, fields.GetProperty("archive_object").GetProperty("nullValue").ValueKind);
        Assert.Equal(a.StartTime, (await Catalog.GetAsync(a.Id, CancellationToken.None))!.Announcement.StartTime);
    }

    [Fact]
    public async Task Commit_WithTheUpdateTimeOfAnOlderRead_IsRefusedByFirestoreItself()
    {
        RecordingAnnouncement a = Announcement("cam1", 0);
        await Catalog.AnnounceAsync(a, CancellationToken.None);
        string name = _client.DocumentName(CatalogDocuments.Recordings, a.Id);
        FirestoreDocument before = (await _client.GetAsync(name, CancellationToken.None))!;
        Assert.Equal(TransitionOutcome.Applied, await Catalog.MarkStagedAsync(a.Id, 1, CancellationToken.None));

        GcpApiException refused = await Assert.ThrowsAsync<GcpApiException>(() => _client.CommitAsync(
            [FirestoreWrite.UpdateIfUnchanged(name, new Dictionary<string, object?> { ["state"] = "lost" }, before.UpdateTime)], CancellationToken.None));
        GcpApiException exists = await Assert.ThrowsAsync<GcpApiException>(() => _client.CommitAsync(
            [FirestoreWrite.Create(name, new Dictionary<string, object?> { ["state"] = "announced" })], CancellationToken.None));

        Assert.Equal("FAILED_PRECONDITION", refused.Status);
        Assert.Equal("ALREADY_EXISTS", exists.Status);
        Assert.Equal(CloudState.Staged, (await Catalog.GetAsync(a.Id, CancellationToken.None))!.State);
    }

    [Fact]
    public async Task Announce_FromManyTasksAtOnce_CreatesOneDocument()
    {
        RecordingAnnouncement a = Announcement("cam1", 0);

        await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => Task.Run(() => Catalog.AnnounceAsync(a, CancellationToken.None))));

        Recording r = (await Catalog.GetAsync(a.Id, CancellationToken.None))!;
        Assert.Equal((CloudState.Announced, 1L), (r.State, r.Version));
        Assert.Equal(1, (await Catalog.CountByStateAsync(CancellationToken.None))[CloudState.Announced]);
    }

    [Fact]
    public async Task BackfillShards_GivesARecordingWrittenBeforeShardsItsShard_SoTheSweepSeesItAgain()
    {
        // A recording as the catalog wrote it before shards: the same document without the shard field.
        RecordingAnnouncement legacy = Announcement("cam1", 0);
        var fields = CatalogDocuments.NewRecording(legacy, T0);
        fields.Remove(CatalogDocuments.Shard);
        await _client.CommitAsync([FirestoreWrite.Create(_client.DocumentName(CatalogDocuments.Recordings, legacy.Id), fields)], CancellationToken.None);
        RecordingAnnouncement current = Announcement("cam2", 1);
        await Catalog.AnnounceAsync(current, CancellationToken.None);
        IReadOnlyList<Recording> before = await Catalog.ListByStateAsync(CloudState.Announced, 10, CancellationToken.None);

        (long read, long changed) = await _catalog.BackfillShardsAsync(1, CancellationToken.None);
        (long _, long again) = await _catalog.BackfillShardsAsync(500, CancellationToken.None);

        Assert.Equal([current.Id], before.Select(r => r.Id));
        Assert.Equal((2, 1, 0), (read, changed, again));
        Assert.Equal([legacy.Id, current.Id], (await Catalog.ListByStateAsync(CloudState.Announced, 10, CancellationToken.None)).Select(r => r.Id));
        FirestoreDocument stored = (await _client.GetAsync(_client.DocumentName(CatalogDocuments.Recordings, legacy.Id), CancellationToken.None))!;
        Assert.Equal(CatalogDocuments.ShardOf("r1", "cam1"), stored[CatalogDocuments.Shard]);
    }
}
