using System.Security.Cryptography;
using Cctv.Functions.Finalize;
using Cctv.Functions.Reconcile;
using Cctv.Shared.Domain;
using Cctv.Shared.Hashing;
using Cctv.Shared.Local;
using Cctv.Shared.Ports;

using Cctv.TestSupport.Media;

namespace Cctv.Functions.Tests.Reconcile;

/// <summary>
/// The salvage of issue 12 on the embedded backend: two sites whose recorders both have a camera <c>cam1</c> tail a
/// segment each into an append session; one goes silent. The sweep finishes the silent one's session at the held bytes,
/// finalize archives it as salvaged, and the live one is left alone. Events are not delivered: the test calls finalize
/// as the event would. Runs on the embedded backend's SQLite catalog (<see cref="SqliteSalvageTests"/>) and on Firestore's
/// emulator (<see cref="FirestoreSalvageTests"/>).
/// </summary>
public abstract class SalvageTests(SweepRig rig) : IDisposable
{
    private protected readonly SweepRig _rig = rig;
    private protected static readonly DateTimeOffset T0 = SweepRig.T0;

    private protected ICatalog Catalog => _rig.Catalog;

    private protected LocalObjectStore Store => _rig.Local.Store;

    public void Dispose()
    {
        _rig.Dispose();
        GC.SuppressFinalize(this);
    }

    /// <summary>Footage as a live tail holds it, cut at <paramref name="length"/> bytes (a fragmented MP4 with one-second fragments).</summary>
    private protected static byte[] Bytes(string recorder, int length) => Bytes(recorder, length, out _);

    private protected static byte[] Bytes(string recorder, int length, out TimeSpan covered) =>
        Mp4Boxes.CutFootage(recorder, length, out covered, fragmentPayload: Math.Clamp(length / 6, 100, 50_000));

    /// <summary>A live tail as the edge makes one: a session for the segment's staging object, <paramref name="held"/> appended, reported to the catalog now.</summary>
    private protected async Task<LiveSession> TailAsync(string recorder, byte[] held, long seq = 5)
    {
        string id = RecordingId.For(recorder, "cam1", 1, seq);
        string staging = ObjectNames.Staging(recorder, "cam1", id);
        Uri uri = await Store.StartAsync(new AppendSessionRequest(LocalBackend.StagingBucket, staging, "video/mp4", 0, new Dictionary<string, string>
        {
            [ObjectMetadata.RecordingId] = id,
        }), CancellationToken.None);
        if (held.Length > 0)
        {
            await Store.AppendAsync(uri, 0, held, CancellationToken.None);
        }
        var session = new LiveSession(id, "cam1", 1, seq, staging, uri, held.Length, T0.AddSeconds(-60), held.Length > 0 ? T0.AddSeconds(-2) : null);
        await Catalog.RecordLiveSessionsAsync(recorder, _rig.Clock.GetUtcNow(), [session], CancellationToken.None);
        return session;
    }

    private protected Task<Recording?> GetAsync(LiveSession s) => Catalog.GetAsync(s.RecordingId, CancellationToken.None);

    [Fact]
    public async Task ASilentRecordersLiveSession_IsSalvaged_AndArchivedWithTheCloudsFacts_WhileALiveRecordersCam1IsLeftAlone()
    {
        byte[] heldA = Bytes("site-a", 300_000, out TimeSpan covered);
        LiveSession silent = await TailAsync("site-a", heldA);
        LiveSession live = await TailAsync("site-b", Bytes("site-b", 200_000));
        _rig.Clock.Advance(TimeSpan.FromMinutes(2.5));
        await Catalog.RecordHeartbeatAsync(new RecorderHeartbeat("site-b", _rig.Clock.GetUtcNow(), 0, 0, null), CancellationToken.None);

        SweepReport report = await _rig.RunAsync();

        Assert.Equal(1, report.Salvaged.Count);
        Assert.Equal(0, report.Errors.Count);
        Assert.Equal(CloudState.Salvaging, (await GetAsync(silent))!.State);
        Assert.Null(await GetAsync(live));
        Assert.False((await Store.QueryAsync(live.SessionUri, CancellationToken.None)).IsComplete);

        Assert.Equal(ArchiveOutcome.Salvaged, await _rig.Archive.ProcessAsync(silent.StagingObject, CancellationToken.None));

        Recording r = (await GetAsync(silent))!;
        Assert.Equal(CloudState.Salvaged, r.State);
        // The end is what the media's whole fragments cover (5 s of the 300,000 bytes), not the recorder's last report (T0 - 2 s).
        Assert.Equal(TimeSpan.FromSeconds(5), covered);
        Assert.Equal((300_000L, Convert.ToHexStringLower(SHA256.HashData(heldA)), T0.AddSeconds(-60), T0.AddSeconds(-55)),
            (r.Announcement.FileSize, r.Announcement.Sha256, r.Announcement.StartTime, r.Announcement.EndTime));
        Assert.Equal("recorder offline since 2026-03-01T12:00:00Z; finished by the sweep at the 300,000 bytes the store held", r.Reason);
        SegmentDigest archived = await SegmentHasher.HashAsync(await Store.OpenReadAsync(LocalBackend.ArchiveBucket, r.ArchiveObject!, CancellationToken.None), CancellationToken.None);
        Assert.Equal((300_000L, r.Announcement.Sha256, r.Announcement.Crc32C), (archived.Size, archived.Sha256, archived.Crc32CBase64));
        Assert.Empty(await _rig.NamesAsync(LocalBackend.StagingBucket));
    }

    [Fact]
    public async Task ARepeatedSweep_ChangesNothing_AndARecorderHeardWithinSalvageAfter_IsNotSalvaged()
    {
        LiveSession silent = await TailAsync("site-a", Bytes("site-a", 1000));
        LiveSession recent = await TailAsync("site-b", Bytes("site-b", 1000));
        _rig.Clock.Advance(TimeSpan.FromMinutes(1));
        await Catalog.RecordLiveSessionsAsync("site-b", _rig.Clock.GetUtcNow(), [recent], CancellationToken.None); // a report is a sign of life too
        _rig.Clock.Advance(TimeSpan.FromMinutes(1.5));

        await _rig.RunAsync();
        await _rig.Archive.ProcessAsync(silent.StagingObject, CancellationToken.None);
        Recording first = (await GetAsync(silent))!;
        List<string> archive = await _rig.NamesAsync(LocalBackend.ArchiveBucket);
        SweepReport again = await _rig.RunAsync();
        await _rig.Archive.ProcessAsync(silent.StagingObject, CancellationToken.None);

        Assert.Equal((0L, 0L), (again.Salvaged.Count, again.Errors.Count));
        Assert.Equal(first, await GetAsync(silent));
        Assert.Equal(archive, await _rig.NamesAsync(LocalBackend.ArchiveBucket));
        Assert.Null(await GetAsync(recent));
    }

    [Fact]
    public async Task ASessionTheStoreHoldsNoByteOf_IsLost_WithTheReason()
    {
        LiveSession empty = await TailAsync("site-a", []);
        _rig.Clock.Advance(TimeSpan.FromMinutes(3));

        SweepReport report = await _rig.RunAsync();

        Recording r = (await GetAsync(empty))!;
        Assert.Equal(1, report.Salvaged.Count);
        Assert.Equal((CloudState.Lost, "recorder offline since 2026-03-01T12:00:00Z; the store held no byte of its live upload (or no longer knew the session)"),
            (r.State, r.Reason));
    }

    [Fact]
    public async Task AnAnnouncedRecording_TakesTheNormalPath_EvenWhenItsRecorderIsSilent()
    {
        LiveSession sealedOne = await TailAsync("site-a", Bytes("site-a", 1000));
        await Catalog.AnnounceAsync(new RecordingAnnouncement(sealedOne.RecordingId, "site-a", "cam1", "Cam 1", 1, 5, T0, T0.AddSeconds(4), 1000, "ab", "AAAAAA==",
            null, "video/mp4", sealedOne.StagingObject), CancellationToken.None);
        _rig.Clock.Advance(TimeSpan.FromMinutes(3));

        SweepReport report = await _rig.RunAsync();

        Assert.Equal(0, report.Salvaged.Count);
        Assert.Equal(CloudState.Announced, (await GetAsync(sealedOne))!.State);
        Assert.False((await Store.QueryAsync(sealedOne.SessionUri, CancellationToken.None)).IsComplete);
    }

    /// <summary>The recorder comes back with the whole file: its announcement is no conflict, and its upload replaces the salvaged copy.</summary>
    [Fact]
    public async Task ARecorderThatComesBack_ReplacesTheSalvagedCopyWithItsFullUpload_AndNothingIsDuplicated()
    {
        byte[] whole = Bytes("site-a", 500_000);
        LiveSession silent = await TailAsync("site-a", whole[..300_000]);
        _rig.Clock.Advance(TimeSpan.FromMinutes(3));
        await _rig.RunAsync();
        await _rig.Archive.ProcessAsync(silent.StagingObject, CancellationToken.None);
        Recording salvaged = (await GetAsync(silent))!;

        RecordingAnnouncement full = await ComeBackAsync(silent, whole);

        Assert.Equal(ArchiveOutcome.Archived, await _rig.Archive.ProcessAsync(silent.StagingObject, CancellationToken.None));
        Recording r = (await GetAsync(silent))!;
        Assert.Equal((CloudState.Archived, full), (r.State, r.Announcement));
        Assert.Equal([r.ArchiveObject!], await _rig.NamesAsync(LocalBackend.ArchiveBucket));
        Assert.NotEqual(salvaged.ArchiveObject, r.ArchiveObject); // the recorder's own start time names it; the salvaged copy is gone
        SegmentDigest archived = await SegmentHasher.HashAsync(await Store.OpenReadAsync(LocalBackend.ArchiveBucket, r.ArchiveObject!, CancellationToken.None), CancellationToken.None);
        Assert.Equal(500_000, archived.Size);
        Assert.Empty(await _rig.NamesAsync(LocalBackend.StagingBucket));
        Assert.Equal(ArchiveOutcome.AlreadyArchived, await _rig.Archive.ProcessAsync(silent.StagingObject, CancellationToken.None)); // the event again
    }

    [Fact]
    public async Task ARecorderThatComesBackWithOtherBytes_DoesNotReplaceTheSalvagedCopy_AndTheCatalogSaysWhy()
    {
        LiveSession silent = await TailAsync("site-a", Bytes("site-a", 300_000));
        _rig.Clock.Advance(TimeSpan.FromMinutes(3));
        await _rig.RunAsync();
        await _rig.Archive.ProcessAsync(silent.StagingObject, CancellationToken.None);
        Recording salvaged = (await GetAsync(silent))!;
        byte[] other = [.. Bytes("site-a", 500_000).Select(b => (byte)~b)];

        await ComeBackAsync(silent, other);

        Assert.Equal(ArchiveOutcome.SalvageKept, await _rig.Archive.ProcessAsync(silent.StagingObject, CancellationToken.None));
        Assert.Equal(ArchiveOutcome.SalvageKept, await _rig.Archive.ProcessAsync(silent.StagingObject, CancellationToken.None));
        Recording r = (await GetAsync(silent))!;
        Assert.Equal((CloudState.Salvaged, salvaged.Announcement, salvaged.ArchiveObject), (r.State, r.Announcement, r.ArchiveObject));
        Assert.StartsWith("the recorder came back, but its first 300,000 bytes (SHA-256 ", r.ReplacementRefused, StringComparison.Ordinal);
        Assert.Equal([salvaged.ArchiveObject!], await _rig.NamesAsync(LocalBackend.ArchiveBucket));
        Assert.Equal([silent.StagingObject], await _rig.NamesAsync(LocalBackend.StagingBucket)); // the recorder's bytes are left, not deleted
    }

    [Fact]
    public async Task ASessionUriThatFinishesAnotherObject_IsNotArchivedAsTheReportersRecording()
    {
        LiveSession theirs = await TailAsync("site-b", Bytes("site-b", 1000));
        LiveSession mine = await TailAsync("site-a", Bytes("site-a", 1000));
        await Catalog.RecordLiveSessionsAsync("site-a", T0.AddSeconds(1), [mine with { SessionUri = theirs.SessionUri }], CancellationToken.None);
        _rig.Clock.Advance(TimeSpan.FromMinutes(3));
        await Catalog.RecordHeartbeatAsync(new RecorderHeartbeat("site-b", _rig.Clock.GetUtcNow(), 0, 0, null), CancellationToken.None);

        SweepReport report = await _rig.RunAsync();

        Recording r = (await GetAsync(mine))!;
        Assert.Equal(CloudState.Lost, r.State);
        Assert.EndsWith($"its session URI finished gs://{LocalBackend.StagingBucket}/{theirs.StagingObject}, not its staging object: not salvaged", r.Reason, StringComparison.Ordinal);
        Assert.Equal(1, report.Errors.Count);
        Assert.Equal(ArchiveOutcome.AwaitingAnnouncement, await _rig.Archive.ProcessAsync(theirs.StagingObject, CancellationToken.None));
        Assert.Empty(await _rig.NamesAsync(LocalBackend.ArchiveBucket));
    }

    /// <summary>What the recorder does when it is back: announces its sealed file (no conflict) and uploads it anew, create-only.</summary>
    private async Task<RecordingAnnouncement> ComeBackAsync(LiveSession session, byte[] file)
    {
        SegmentDigest d = await SegmentHasher.HashAsync(new MemoryStream(file), CancellationToken.None);
        var full = new RecordingAnnouncement(session.RecordingId, "site-a", "cam1", "Gate", 1, 5, T0.AddSeconds(-58), T0.AddSeconds(30), d.Size, d.Sha256,
            d.Crc32CBase64, null, "video/mp4", session.StagingObject);
        await Catalog.AnnounceAsync(full, CancellationToken.None);
        await Store.UploadAsync(new UploadRequest(LocalBackend.StagingBucket, session.StagingObject, "video/mp4", d.Crc32CBase64, null, 0,
            new Dictionary<string, string> { [ObjectMetadata.Sha256] = d.Sha256 }), new MemoryStream(file), CancellationToken.None);
        return full;
    }
}

/// <summary>The salvage on the embedded backend's SQLite catalog, plus a report that only a catalog written past its checks could hold.</summary>
public sealed class SqliteSalvageTests() : SalvageTests(new SweepRig())
{
    private static readonly System.Text.Json.JsonSerializerOptions WebJson = new(System.Text.Json.JsonSerializerDefaults.Web);

    [Fact]
    public async Task AReportNamingAnotherRecordersStagingObject_IsNeverSalvaged_EvenIfItGotIntoTheCatalog()
    {
        LiveSession theirs = await TailAsync("site-b", Bytes("site-b", 1000));
        // What the catalog refuses (ArgumentException) written past it, as a catalog of another version might hold it.
        await Assert.ThrowsAsync<ArgumentException>(() => Catalog.RecordLiveSessionsAsync("site-a", T0, [theirs], CancellationToken.None));
        using (var db = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(_rig.Local.DataDir, "cloud", "catalog.db")}"))
        {
            db.Open();
            using Microsoft.Data.Sqlite.SqliteCommand insert = db.CreateCommand();
            insert.CommandText = "INSERT INTO live_sessions (recorder_id, sent_ms, received_ms, session_count, sessions) VALUES ('site-a', 0, $t, 1, $json)";
            insert.Parameters.AddWithValue("$t", T0.ToUnixTimeMilliseconds());
            insert.Parameters.AddWithValue("$json", System.Text.Json.JsonSerializer.Serialize(new[] { theirs }, WebJson));
            insert.ExecuteNonQuery();
        }
        Assert.Equal([theirs], await Catalog.ListLiveSessionsAsync("site-a", CancellationToken.None));
        _rig.Clock.Advance(TimeSpan.FromMinutes(3));
        await Catalog.RecordHeartbeatAsync(new RecorderHeartbeat("site-b", _rig.Clock.GetUtcNow(), 0, 0, null), CancellationToken.None);

        SweepReport report = await _rig.RunAsync();

        Assert.Equal((0L, 1L), (report.Salvaged.Count, report.Errors.Count));
        Assert.Contains("not salvaged: Live session", System.Text.Json.JsonSerializer.Serialize(report.Errors.Items[0]), StringComparison.Ordinal);
        Assert.Null(await GetAsync(theirs));
        Assert.False((await Store.QueryAsync(theirs.SessionUri, CancellationToken.None)).IsComplete);
    }

}
