using System.Text.Json;
using Cctv.Shared.Domain;
using Cctv.Shared.Gcp;
using Cctv.Shared.Gcp.Firestore;
using Cctv.Shared.Ports;

namespace Cctv.Shared.Tests.Gcp.Firestore;

/// <summary>
/// The catalog contract (<see cref="CatalogContractTests"/>) on the Firestore emulator, plus what only Firestore has:
/// the document layout the deployment's indexes assume, and the update-time guard at the database itself.
/// Each test gets its own project ID, so tests never see each other's documents.
/// </summary>
[Collection(FirestoreEmulatorCollection.Name)]
public sealed class FirestoreCatalogTests : CatalogContractTests, IAsyncLifetime
{
    private readonly FirestoreEmulatorFixture _emulator;
    private readonly FirestoreClient _client;
    private readonly FirestoreCatalog _catalog;

    public FirestoreCatalogTests(FirestoreEmulatorFixture emulator)
    {
        _emulator = emulator;
        _client = new FirestoreClient(emulator.Endpoint, "cctv-test-" + Guid.NewGuid().ToString("N")[..12]);
        _catalog = new FirestoreCatalog(_client, Clock);
    }

    protected override ICatalog Catalog => _catalog;

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => _emulator.ClearAsync(_client.ProjectId);

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
}
