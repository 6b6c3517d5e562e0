using Cctv.Shared.Domain;
using Cctv.Shared.Ports;
using Cctv.Shared.Sqlite;
using Microsoft.Data.Sqlite;

namespace Cctv.Shared.Local;

/// <summary>
/// The salvage of the SQLite catalog (issue 12): a salvaging recording is an INSERT of its own (create-only); finalize's
/// facts replace the synthesized ones; a recorder that comes back leaves its announcement in <c>recorder_announcement</c>
/// (see <see cref="AnnounceAsync"/>), which replaces the salvaged facts once finalize archived its full upload.
/// </summary>
public sealed partial class SqliteCatalog
{
    public Task<TransitionOutcome> BeginSalvageAsync(RecordingAnnouncement synthesized, string reason, CancellationToken cancellationToken)
    {
        RecordingAnnouncement a = synthesized;
        long now = _time.GetUtcNow().ToUnixMs();
        using SqliteConnection c = _db.Open();
        using SqliteCommand insert = c.Command("""
            INSERT INTO recordings (id, recorder_id, camera_id, camera_name, run, seq, start_ms, end_ms, file_size, sha256, crc32c, md5,
                content_type, staging_object, state, reason, announced_ms, updated_ms, version, clock_state)
            VALUES ($id, $rec, $cam, $camName, $run, $seq, $start, $end, $size, $sha, $crc, NULL, $type, $staging, 'salvaging', $reason, $now, $now, 1, NULL)
            ON CONFLICT (id) DO NOTHING
            """,
            ("$id", a.Id), ("$rec", a.RecorderId), ("$cam", a.CameraId), ("$camName", a.CameraName), ("$run", a.Run), ("$seq", a.Sequence),
            ("$start", a.StartTime.ToUnixMs()), ("$end", a.EndTime.ToUnixMs()), ("$size", a.FileSize), ("$sha", a.Sha256), ("$crc", a.Crc32C),
            ("$type", a.ContentType), ("$staging", a.StagingObject), ("$reason", reason), ("$now", now));
        if (insert.ExecuteNonQuery() == 1)
        {
            return Task.FromResult(TransitionOutcome.Applied);
        }
        using SqliteCommand current = c.Command("SELECT state FROM recordings WHERE id = $id", ("$id", a.Id));
        return Task.FromResult(current.ExecuteScalar() is string s && StateNames.ParseCloud(s) == CloudState.Salvaging
            ? TransitionOutcome.AlreadyDone : TransitionOutcome.Refused);
    }

    public Task<TransitionOutcome> MarkSalvagedAsync(string id, SalvagedCopy copy, CancellationToken cancellationToken) =>
        Transition(id, CloudState.Salvaged, """
            file_size = $size, sha256 = $sha, crc32c = $crc, md5 = NULL, end_ms = $end, reason = $reason, staging_generation = $sgen, staged_ms = $now,
            archive_object = $obj, archive_generation = $gen, archived_ms = $now, archive_delay_ms = $now - $end, on_time = ($now - $end <= $onTimeMs)
            """,
            ("$size", copy.FileSize), ("$sha", copy.Sha256), ("$crc", copy.Crc32C), ("$end", copy.EndTime.ToUnixMs()), ("$reason", copy.Reason),
            ("$sgen", copy.StagingGeneration), ("$obj", copy.ArchiveObject), ("$gen", copy.ArchiveGeneration),
            ("$onTimeMs", (long)DeliveryTarget.ArchiveWithin.TotalMilliseconds));

    public Task<TransitionOutcome> ReplaceSalvagedAsync(string id, long stagingGeneration, string archiveObject, long archiveGeneration, CancellationToken cancellationToken)
    {
        using SqliteConnection c = _db.Open();
        using SqliteCommand read = c.Command("SELECT state, recorder_announcement, version FROM recordings WHERE id = $id", ("$id", id));
        string? state;
        string? pending;
        long version;
        using (SqliteDataReader r = read.ExecuteReader())
        {
            if (!r.Read())
            {
                return Task.FromResult(TransitionOutcome.NotFound);
            }
            (state, pending, version) = (r.GetString(0), r.GetNullableString("recorder_announcement"), r.GetInt64(2));
        }
        if (StateNames.ParseCloud(state) == CloudState.Archived)
        {
            return Task.FromResult(TransitionOutcome.AlreadyDone);
        }
        if (StateNames.ParseCloud(state) != CloudTransitions.ReplacedFrom || AnnouncementJson.Parse(pending) is not { } a)
        {
            return Task.FromResult(TransitionOutcome.Refused);
        }
        long now = _time.GetUtcNow().ToUnixMs();
        using SqliteCommand update = c.Command("""
            UPDATE recordings SET state = 'archived', camera_name = $camName, start_ms = $start, end_ms = $end, file_size = $size, sha256 = $sha,
                crc32c = $crc, md5 = $md5, content_type = $type, clock_state = $clock, reason = NULL, recorder_announcement = NULL,
                replacement_refused = NULL, staging_generation = $sgen, archive_object = $obj, archive_generation = $gen, archived_ms = $now,
                updated_ms = $now, version = version + 1
            WHERE id = $id AND state = $from AND version = $version
            """,
            ("$camName", a.CameraName), ("$start", a.StartTime.ToUnixMs()), ("$end", a.EndTime.ToUnixMs()), ("$size", a.FileSize), ("$sha", a.Sha256),
            ("$crc", a.Crc32C), ("$md5", a.Md5), ("$type", a.ContentType), ("$clock", ClockStateJson.Write(a.Clock)), ("$sgen", stagingGeneration),
            ("$obj", archiveObject), ("$gen", archiveGeneration), ("$now", now), ("$id", id), ("$from", CloudTransitions.ReplacedFrom.ToWire()),
            ("$version", version));
        // Another writer changed the row between the read and the update: decide again from what is there now.
        return update.ExecuteNonQuery() == 1
            ? Task.FromResult(TransitionOutcome.Applied)
            : ReplaceSalvagedAsync(id, stagingGeneration, archiveObject, archiveGeneration, cancellationToken);
    }

    public Task<TransitionOutcome> KeepSalvagedAsync(string id, string why, CancellationToken cancellationToken)
    {
        using SqliteConnection c = _db.Open();
        using SqliteCommand update = c.Command("""
            UPDATE recordings SET replacement_refused = $why, updated_ms = $now, version = version + 1
            WHERE id = $id AND state = 'salvaged' AND replacement_refused IS NULL
            """, ("$why", why), ("$now", _time.GetUtcNow().ToUnixMs()), ("$id", id));
        if (update.ExecuteNonQuery() == 1)
        {
            return Task.FromResult(TransitionOutcome.Applied);
        }
        using SqliteCommand current = c.Command("SELECT state, replacement_refused FROM recordings WHERE id = $id", ("$id", id));
        using SqliteDataReader r = current.ExecuteReader();
        return Task.FromResult(!r.Read() ? TransitionOutcome.NotFound
            : r.GetString(0) == CloudState.Salvaged.ToWire() && !r.IsDBNull(1) ? TransitionOutcome.AlreadyDone
            : TransitionOutcome.Refused);
    }

    /// <summary>
    /// The recorder announced a recording the sweep salvaged (or is salvaging): its announcement is kept beside the
    /// salvaged facts, once; the same announcement again changes nothing, a different one is an error as for any recording.
    /// </summary>
    private static void AnnounceSalvaged(SqliteConnection c, RecordingAnnouncement a, string stagingObject, string? stored)
    {
        if (AnnouncementJson.Parse(stored) is { } before)
        {
            if (before.Sha256 != a.Sha256 || before.FileSize != a.FileSize)
            {
                throw new InvalidOperationException(
                    $"Recording {a.Id} was announced before with SHA-256 {before.Sha256} and {before.FileSize} bytes; now with {a.Sha256} and {a.FileSize} bytes.");
            }
            return;
        }
        if (stagingObject != a.StagingObject)
        {
            throw new InvalidOperationException($"Recording {a.Id} was salvaged from {stagingObject}; it cannot be announced at {a.StagingObject}.");
        }
        using SqliteCommand keep = c.Command("""
            UPDATE recordings SET recorder_announcement = $json WHERE id = $id AND state IN ('salvaging', 'salvaged') AND recorder_announcement IS NULL
            """, ("$json", AnnouncementJson.Write(a)), ("$id", a.Id));
        keep.ExecuteNonQuery();
    }
}
