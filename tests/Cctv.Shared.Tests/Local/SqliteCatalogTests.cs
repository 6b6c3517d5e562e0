using Cctv.Shared.Domain;
using Cctv.Shared.Local;
using Cctv.Shared.Ports;
using Cctv.Shared.Sqlite;
using Cctv.TestSupport;
using Microsoft.Data.Sqlite;

namespace Cctv.Shared.Tests.Local;

/// <summary>The catalog contract (<see cref="CatalogContractTests"/>) on the embedded backend's SQLite file.</summary>
public sealed class SqliteCatalogTests : CatalogContractTests, IDisposable
{
    private readonly TempDir _dir = new("catalog");
    private readonly SqliteCatalog _catalog;

    public SqliteCatalogTests() => _catalog = new SqliteCatalog(_dir.Combine("catalog.db"), Clock);

    protected override ICatalog Catalog => _catalog;

    /// <summary>The recordings table's columns in the first catalogs (before legal holds and delivery times).</summary>
    private const string FirstRecordingsColumns = """
        id TEXT PRIMARY KEY, recorder_id TEXT NOT NULL, camera_id TEXT NOT NULL, camera_name TEXT NOT NULL, run INTEGER NOT NULL,
        seq INTEGER NOT NULL, start_ms INTEGER NOT NULL, end_ms INTEGER NOT NULL, file_size INTEGER NOT NULL, sha256 TEXT NOT NULL,
        crc32c TEXT NOT NULL, md5 TEXT NOT NULL, content_type TEXT NOT NULL, staging_object TEXT NOT NULL, state TEXT NOT NULL,
        reason TEXT, staging_generation INTEGER, archive_object TEXT, archive_generation INTEGER, announced_ms INTEGER NOT NULL,
        staged_ms INTEGER, archived_ms INTEGER, updated_ms INTEGER NOT NULL, version INTEGER NOT NULL
        """;

    [Fact]
    public async Task ACatalogCreatedBeforeLegalHoldsAndDeliveryTimes_IsMigratedInPlace_AndKeepsItsRecordings()
    {
        string path = _dir.Combine("old.db");
        var old = new SqliteDatabase(path, $"""
            CREATE TABLE recordings ({FirstRecordingsColumns});
            """);
        RecordingAnnouncement a = Announcement("cam1", 0);
        using (SqliteConnection c = old.Open())
        {
            using SqliteCommand insert = c.Command($"""
                INSERT INTO recordings VALUES ('{a.Id}', 'r1', 'cam1', 'CAM1', 1, 0, 0, 4000, 1000, 'aa', 'AAAAAA==', 'md5', 'video/mp4',
                    'incoming/x', 'archived', NULL, 1, 'recordings/x', 2, 0, 0, 0, 0, 3)
                """);
            insert.ExecuteNonQuery();
        }

        var migrated = new SqliteCatalog(path, Clock);
        _ = new SqliteCatalog(path, Clock); // opening it again changes nothing

        Recording r = (await migrated.GetAsync(a.Id, CancellationToken.None))!;
        Assert.Equal((CloudState.Archived, false, 3L, "md5"), (r.State, r.LegalHold, r.Version, r.Announcement.Md5));
        // Its md5 column was NOT NULL; recordings announced now have none (segments are hashed without MD5).
        RecordingAnnouncement noMd5 = Announcement("cam1", 1) with { Md5 = null };
        await migrated.AnnounceAsync(noMd5, CancellationToken.None);
        Assert.Null((await migrated.GetAsync(noMd5.Id, CancellationToken.None))!.Announcement.Md5);
        Assert.Equal(TransitionOutcome.Applied, await migrated.SetLegalHoldAsync(a.Id, true, "case", CancellationToken.None));
        Assert.Equal(new DeliveryStats(1, 0), await migrated.GetDeliveryStatsAsync(DateTimeOffset.UnixEpoch, T0, CancellationToken.None));
    }

    [Fact]
    public async Task ACatalogWhoseCamerasWereTheirBareIds_IsMigratedInPlace_AndTheCameraAnotherSiteTookOverComesBack()
    {
        string path = _dir.Combine("cameras-by-id.db");
        var old = new SqliteDatabase(path, $"""
            CREATE TABLE recordings ({FirstRecordingsColumns},
                legal_hold INTEGER NOT NULL DEFAULT 0, legal_hold_reason TEXT, archive_delay_ms INTEGER, on_time INTEGER NOT NULL DEFAULT 0);
            CREATE INDEX recordings_by_camera_time ON recordings (camera_id, start_ms DESC, id DESC);
            CREATE TABLE gaps (id TEXT PRIMARY KEY, recorder_id TEXT NOT NULL, camera_id TEXT NOT NULL, start_ms INTEGER NOT NULL, end_ms INTEGER, reason TEXT NOT NULL);
            CREATE INDEX gaps_by_camera_time ON gaps (camera_id, start_ms);
            CREATE TABLE cameras (id TEXT PRIMARY KEY, name TEXT NOT NULL, recorder_id TEXT NOT NULL);
            """);
        // rec-b's cam1 started last and took the one cam1 row; rec-a's cam1 has recordings and a gap only.
        string aCam1 = RecordingId.For("rec-a", "cam1", 1, 0), bCam1 = RecordingId.For("rec-b", "cam1", 1, 0), aGate = RecordingId.For("rec-a", "gate", 1, 0);
        using (SqliteConnection c = old.Open())
        {
            using SqliteCommand insert = c.Command($"""
                INSERT INTO recordings (id, recorder_id, camera_id, camera_name, run, seq, start_ms, end_ms, file_size, sha256, crc32c, md5, content_type,
                    staging_object, state, announced_ms, updated_ms, version) VALUES
                    ('{aCam1}', 'rec-a', 'cam1', 'A front door', 1, 0, 0, 4000, 10, 'aa', 'AAAAAA==', 'md5', 'video/mp4', 'x', 'announced', 0, 0, 1),
                    ('{bCam1}', 'rec-b', 'cam1', 'B yard', 1, 0, 0, 4000, 10, 'bb', 'AAAAAA==', 'md5', 'video/mp4', 'y', 'announced', 0, 0, 1),
                    ('{aGate}', 'rec-a', 'gate', 'A gate', 1, 0, 0, 4000, 10, 'cc', 'AAAAAA==', 'md5', 'video/mp4', 'z', 'announced', 0, 0, 1);
                INSERT INTO gaps VALUES ('g-a', 'rec-a', 'cam1', 0, 10, 'a offline'), ('g-b', 'rec-b', 'cam1', 0, 10, 'b offline');
                INSERT INTO cameras VALUES ('cam1', 'B yard', 'rec-b'), ('gate', 'A gate', 'rec-a');
                """);
            insert.ExecuteNonQuery();
        }

        var migrated = new SqliteCatalog(path, Clock);
        _ = new SqliteCatalog(path, Clock); // opening it again changes nothing

        Assert.Equal([new CameraInfo("cam1", "A front door", "rec-a"), new CameraInfo("gate", "A gate", "rec-a"), new CameraInfo("cam1", "B yard", "rec-b")],
            await migrated.ListCamerasAsync(CatalogScope.Everything, CancellationToken.None));
        await migrated.UpsertCameraAsync(new CameraInfo("cam1", "A front door (new)", "rec-a"), CancellationToken.None);
        Assert.Equal(3, (await migrated.ListCamerasAsync(CatalogScope.Everything, CancellationToken.None)).Count);
        RecordingPage page = await migrated.QueryAsync(new RecordingQuery([new CameraKey("rec-a", "cam1")], null, null, 10, null, CatalogScope.Everything), CancellationToken.None);
        Assert.Equal([aCam1], page.Items.Select(r => r.Id));
        Assert.Equal(["g-b"], (await migrated.ListGapsAsync(new CameraKey("rec-b", "cam1"), SqliteExtensions.FromUnixMs(0), T0, CancellationToken.None)).Select(g => g.Id));
    }

    public void Dispose() => _dir.Dispose();
}
