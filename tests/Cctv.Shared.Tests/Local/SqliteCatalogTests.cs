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

    [Fact]
    public async Task ACatalogCreatedBeforeLegalHoldsAndDeliveryTimes_IsMigratedInPlace_AndKeepsItsRecordings()
    {
        string path = _dir.Combine("old.db");
        var old = new SqliteDatabase(path, """
            CREATE TABLE recordings (
                id TEXT PRIMARY KEY, recorder_id TEXT NOT NULL, camera_id TEXT NOT NULL, camera_name TEXT NOT NULL, run INTEGER NOT NULL,
                seq INTEGER NOT NULL, start_ms INTEGER NOT NULL, end_ms INTEGER NOT NULL, file_size INTEGER NOT NULL, sha256 TEXT NOT NULL,
                crc32c TEXT NOT NULL, md5 TEXT NOT NULL, content_type TEXT NOT NULL, staging_object TEXT NOT NULL, state TEXT NOT NULL,
                reason TEXT, staging_generation INTEGER, archive_object TEXT, archive_generation INTEGER, announced_ms INTEGER NOT NULL,
                staged_ms INTEGER, archived_ms INTEGER, updated_ms INTEGER NOT NULL, version INTEGER NOT NULL);
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
        Assert.Equal((CloudState.Archived, false, 3L), (r.State, r.LegalHold, r.Version));
        Assert.Equal(TransitionOutcome.Applied, await migrated.SetLegalHoldAsync(a.Id, true, "case", CancellationToken.None));
        Assert.Equal(new DeliveryStats(1, 0), await migrated.GetDeliveryStatsAsync(DateTimeOffset.UnixEpoch, T0, CancellationToken.None));
    }

    public void Dispose() => _dir.Dispose();
}
