using Cctv.Shared.Domain;

namespace Cctv.Shared.Gcp.Firestore;

/// <summary>
/// The catalog's document layout in Firestore. Field names are snake_case; terraform/firestore.tf declares
/// the composite indexes over them, so a rename here is a rename there.
/// </summary>
/// <remarks>
/// No index of a growing collection is ordered by time alone: Firestore holds a collection to about 500 writes a
/// second while an indexed field grows monotonically (a hot spot at the end of the index). Every time field and GCS
/// generation of <c>recordings</c>, <c>gaps</c>, <c>recorders</c> and <c>checkpoints</c> is exempt from single-field
/// indexing (terraform/firestore.tf), and every composite index starts with the recorder or a <see cref="Shard"/>
/// before its time field, so index writes spread over recorders or <see cref="ShardCount"/> ranges.
/// Queries that need a time order across cameras (everything the player may see, the sweep's oldest
/// announcement first, the delivery counts of status) name every shard (<c>shard IN [0..15]</c>), and Firestore merges
/// the shards' ranges. catalog-queries.json (next to this file) lists each query shape and the index that serves it;
/// a test on the emulator checks the catalog issues no other, and a terraform test checks each is declared.
/// Composite indexes the catalog's queries need (collection scope):
/// recordings (recorder_id ASC, camera_id ASC, start_time DESC) for the query by camera and time (<c>recorder_id</c>
/// EQUAL, <c>camera_id</c> EQUAL or IN, <c>start_time</c> range, ordered by start_time then __name__ descending);
/// recordings (recorder_id ASC, start_time DESC) for the same query over a caller's sites (<c>recorder_id</c> EQUAL or IN);
/// recordings (shard ASC, start_time DESC) for the same query over everything;
/// recordings (shard ASC, state ASC, announced_at ASC) for <c>ListByStateAsync</c> (every shard, state EQUAL, oldest announcement first);
/// recordings (recorder_id ASC, camera_id ASC, legal_hold ASC, state ASC, start_time ASC) for <c>ListArchivedBeforeAsync</c> (retention);
/// recordings (shard ASC, end_time ASC) and (shard ASC, archived_on_time ASC, end_time ASC) for the counts of
/// <c>GetDeliveryStatsAsync</c> (one count per shard);
/// gaps (recorder_id ASC, camera_id ASC, start_time ASC) for <c>ListGapsAsync</c>.
/// A camera is <c>cameras/{recorder}~{camera}</c> (<see cref="CameraKey"/>) with its name, recorder and camera ID; a
/// document of the layout before (<c>cameras/{camera}</c>, no <c>camera_id</c> field) is read as the camera of the
/// recorder it names until that recorder writes its own.
/// The counts per state, the camera and recorder lists and the grants use Firestore's automatic single-field indexes
/// (of fields that do not grow: state, principal).
/// </remarks>
public static class CatalogDocuments
{
    public const string Recordings = "recordings";
    public const string Cameras = "cameras";
    public const string Gaps = "gaps";
    public const string Recorders = "recorders";
    public const string Checkpoints = "checkpoints";

    public const string RecorderId = "recorder_id";
    public const string CameraId = "camera_id";
    public const string CameraName = "camera_name";
    public const string Run = "run";
    public const string Sequence = "seq";
    public const string StartTime = "start_time";
    public const string EndTime = "end_time";
    public const string FileSize = "file_size";
    public const string Sha256 = "sha256";
    public const string Crc32C = "crc32c";
    public const string Md5 = "md5";
    public const string ContentType = "content_type";
    public const string StagingObject = "staging_object";
    public const string State = "state";
    public const string Reason = "reason";
    public const string StagingGeneration = "staging_generation";
    public const string ArchiveObject = "archive_object";
    public const string ArchiveGeneration = "archive_generation";
    public const string AnnouncedAt = "announced_at";
    public const string StagedAt = "staged_at";
    public const string ArchivedAt = "archived_at";
    public const string UpdatedAt = "updated_at";
    public const string Version = "version";
    public const string Name = "name";
    public const string LegalHold = "legal_hold";
    public const string LegalHoldReason = "legal_hold_reason";
    public const string ArchiveDelayMs = "archive_delay_ms";
    public const string ArchivedOnTime = "archived_on_time";

    /// <summary>A salvaged recording's own announcement from its recorder, when it came back (JSON, <see cref="AnnouncementJson"/>).</summary>
    public const string RecorderAnnouncement = "recorder_announcement";

    /// <summary>Why the recorder's full upload did not replace a salvaged copy.</summary>
    public const string ReplacementRefused = "replacement_refused";

    /// <summary>
    /// The recorder's clock state for the recording's run, as <see cref="ClockStateJson"/> (null when the recorder sent
    /// none). Its text begins with the time it was read, so it grows with time: exempt from single-field indexing.
    /// </summary>
    public const string ClockState = "clock_state";

    /// <summary>
    /// A recording's shard, 0 to <see cref="ShardCount"/> - 1, from its camera key: the leading field of the indexes
    /// that order recordings of every camera by time.
    /// </summary>
    public const string Shard = "shard";

    /// <summary>How many shards; at most 30 (Firestore's limit on the values of one IN filter).</summary>
    public const int ShardCount = 16;

    /// <summary>Every shard, for an IN filter over all of them.</summary>
    public static IReadOnlyList<long> AllShards { get; } = [.. Enumerable.Range(0, ShardCount).Select(i => (long)i)];

    /// <summary>The shard of a camera's recordings: stable (the first bytes of the SHA-256 of its key), spread evenly.</summary>
    public static long ShardOf(string recorderId, string cameraId)
    {
        byte[] hash = System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(new CameraKey(recorderId, cameraId).ToString()));
        return System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(hash) % ShardCount;
    }

    public const string SentAt = "sent_at";
    public const string ReceivedAt = "received_at";
    public const string BacklogSegments = "backlog_segments";
    public const string BacklogBytes = "backlog_bytes";
    public const string OldestBacklogSealedAt = "oldest_backlog_sealed_at";
    public const string AgentVersion = "agent_version";

    public const string Value = "value";

    /// <summary>
    /// What an announcement says of its segment (name, times, size, checksums, content type, clock): written when it is
    /// announced, and again when a returning recorder's announcement replaces a salvage's facts.
    /// </summary>
    public static Dictionary<string, object?> AnnouncedFacts(RecordingAnnouncement a) => new()
    {
        [CameraName] = a.CameraName,
        [StartTime] = a.StartTime,
        [EndTime] = a.EndTime,
        [FileSize] = a.FileSize,
        [Sha256] = a.Sha256,
        [Crc32C] = a.Crc32C,
        [Md5] = a.Md5,
        [ContentType] = a.ContentType,
        [ClockState] = ClockStateJson.Write(a.Clock),
    };

    /// <summary>A new recording document: state announced, version 1.</summary>
    public static Dictionary<string, object?> NewRecording(RecordingAnnouncement a, DateTimeOffset now) => new(AnnouncedFacts(a))
    {
        [RecorderId] = a.RecorderId,
        [CameraId] = a.CameraId,
        [Run] = a.Run,
        [Sequence] = a.Sequence,
        [StagingObject] = a.StagingObject,
        [State] = CloudState.Announced.ToWire(),
        [Reason] = null,
        [StagingGeneration] = null,
        [ArchiveObject] = null,
        [ArchiveGeneration] = null,
        [AnnouncedAt] = now,
        [StagedAt] = null,
        [ArchivedAt] = null,
        [UpdatedAt] = now,
        [Version] = 1L,
        [LegalHold] = false,
        [LegalHoldReason] = null,
        [ArchiveDelayMs] = null,
        [ArchivedOnTime] = false,
        [Shard] = ShardOf(a.RecorderId, a.CameraId),
    };

    public static Recording ToRecording(FirestoreDocument d)
    {
        var announcement = new RecordingAnnouncement(d.Id, d.GetString(RecorderId), d.GetString(CameraId), d.GetString(CameraName),
            d.GetInt64(Run), d.GetInt64(Sequence), d.GetTimestamp(StartTime), d.GetTimestamp(EndTime), d.GetInt64(FileSize),
            d.GetString(Sha256), d.GetString(Crc32C), d.GetNullableString(Md5), d.GetString(ContentType), d.GetString(StagingObject),
            ClockStateJson.Parse(d.GetNullableString(ClockState)));
        return new Recording(announcement, StateNames.ParseCloud(d.GetString(State)), d.GetNullableString(Reason),
            d.GetNullableInt64(StagingGeneration), d.GetNullableString(ArchiveObject), d.GetNullableInt64(ArchiveGeneration),
            d.GetTimestamp(AnnouncedAt), d.GetNullableTimestamp(StagedAt), d.GetNullableTimestamp(ArchivedAt),
            d.GetTimestamp(UpdatedAt), d.GetInt64(Version), d[LegalHold] is true, d.GetNullableString(LegalHoldReason),
            AnnouncementJson.Parse(d.GetNullableString(RecorderAnnouncement)), d.GetNullableString(ReplacementRefused));
    }

    public static Dictionary<string, object?> Recorder(RecorderHeartbeat h, DateTimeOffset receivedAt) => new()
    {
        [SentAt] = h.SentAt,
        [ReceivedAt] = receivedAt,
        [BacklogSegments] = h.BacklogSegments,
        [BacklogBytes] = h.BacklogBytes,
        [OldestBacklogSealedAt] = h.OldestBacklogSealedAt,
        [AgentVersion] = h.AgentVersion,
    };

    public static RecorderStatus ToRecorder(FirestoreDocument d) => new(
        new RecorderHeartbeat(d.Id, d.GetTimestamp(SentAt), d.GetInt64(BacklogSegments), d.GetInt64(BacklogBytes),
            d.GetNullableTimestamp(OldestBacklogSealedAt), d.GetNullableString(AgentVersion)),
        d.GetTimestamp(ReceivedAt));

    public static Dictionary<string, object?> Gap(RecordingGap gap) => new()
    {
        [RecorderId] = gap.RecorderId,
        [CameraId] = gap.CameraId,
        [StartTime] = gap.StartTime,
        [EndTime] = gap.EndTime,
        [Reason] = gap.Reason,
    };

    public static RecordingGap ToGap(FirestoreDocument d) =>
        new(d.Id, d.GetString(RecorderId), d.GetString(CameraId), d.GetTimestamp(StartTime), d.GetNullableTimestamp(EndTime), d.GetString(Reason));

    public static Dictionary<string, object?> Camera(CameraInfo camera) => new()
    {
        [Name] = camera.Name,
        [RecorderId] = camera.RecorderId,
        [CameraId] = camera.Id,
    };

    /// <summary>A camera document; one of the layout before keys (ID = bare camera ID) is marked <paramref name="legacy"/>.</summary>
    public static CameraInfo ToCamera(FirestoreDocument d, out bool legacy)
    {
        legacy = d.GetNullableString(CameraId) is null;
        return new CameraInfo(d.GetNullableString(CameraId) ?? d.Id, d.GetString(Name), d.GetString(RecorderId));
    }
}
