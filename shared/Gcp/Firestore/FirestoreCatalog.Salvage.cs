using Cctv.Shared.Domain;
using Cctv.Shared.Ports;
using static Cctv.Shared.Gcp.Firestore.CatalogDocuments;

namespace Cctv.Shared.Gcp.Firestore;

/// <summary>
/// The salvage of the Firestore catalog (issue 12): a salvaging recording is a create of its own
/// (<c>currentDocument.exists = false</c>); finalize's facts replace the synthesized ones; a recorder that comes back leaves
/// its announcement in <c>recorder_announcement</c> (JSON), which replaces the salvaged facts once finalize archived its
/// full upload. Every change reads, decides and commits guarded by the update time it read, as the transitions do.
/// </summary>
public sealed partial class FirestoreCatalog
{
    public async Task<TransitionOutcome> BeginSalvageAsync(RecordingAnnouncement synthesized, string reason, CancellationToken cancellationToken)
    {
        string name = _client.DocumentName(Recordings, synthesized.Id);
        return await Guarded(name, async ct =>
        {
            if (await _client.GetAsync(name, ct) is { } existing)
            {
                return StateNames.ParseCloud(existing.GetString(State)) == CloudState.Salvaging ? TransitionOutcome.AlreadyDone : TransitionOutcome.Refused;
            }
            Dictionary<string, object?> fields = NewRecording(synthesized, _time.GetUtcNow());
            fields[State] = CloudState.Salvaging.ToWire();
            fields[Reason] = reason;
            fields[Md5] = null;
            fields[CatalogDocuments.ClockState] = null;
            await _client.CommitAsync([FirestoreWrite.Create(name, fields)], ct); // a racing create is ALREADY_EXISTS: read and decide again
            return TransitionOutcome.Applied;
        }, cancellationToken);
    }

    public Task<TransitionOutcome> MarkSalvagedAsync(string id, SalvagedCopy copy, CancellationToken cancellationToken) =>
        Transition(id, CloudState.Salvaged, (now, _) =>
        {
            TimeSpan delay = now - copy.EndTime;
            return new()
            {
                [FileSize] = copy.FileSize,
                [Sha256] = copy.Sha256,
                [Crc32C] = copy.Crc32C,
                [Md5] = null,
                [EndTime] = copy.EndTime,
                [Reason] = copy.Reason,
                [StagingGeneration] = copy.StagingGeneration,
                [StagedAt] = now,
                [ArchiveObject] = copy.ArchiveObject,
                [ArchiveGeneration] = copy.ArchiveGeneration,
                [ArchivedAt] = now,
                [ArchiveDelayMs] = (long)delay.TotalMilliseconds,
                [ArchivedOnTime] = delay <= DeliveryTarget.ArchiveWithin,
            };
        }, cancellationToken);

    public async Task<TransitionOutcome> ReplaceSalvagedAsync(string id, long stagingGeneration, string archiveObject, long archiveGeneration,
        CancellationToken cancellationToken)
    {
        if (NameOf(id) is not { } name)
        {
            return TransitionOutcome.NotFound;
        }
        return await Guarded(name, async ct =>
        {
            if (await _client.GetAsync(name, ct) is not { } doc)
            {
                return TransitionOutcome.NotFound;
            }
            CloudState state = StateNames.ParseCloud(doc.GetString(State));
            if (state == CloudState.Archived)
            {
                return TransitionOutcome.AlreadyDone;
            }
            if (state != CloudTransitions.ReplacedFrom || AnnouncementJson.Parse(doc.GetNullableString(RecorderAnnouncement)) is not { } a)
            {
                return TransitionOutcome.Refused;
            }
            DateTimeOffset now = _time.GetUtcNow();
            var fields = new Dictionary<string, object?>(CatalogDocuments.AnnouncedFacts(a))
            {
                [State] = CloudState.Archived.ToWire(),
                [Reason] = null,
                [RecorderAnnouncement] = null,
                [ReplacementRefused] = null,
                [StagingGeneration] = stagingGeneration,
                [ArchiveObject] = archiveObject,
                [ArchiveGeneration] = archiveGeneration,
                [ArchivedAt] = now,
                [UpdatedAt] = now,
                [CatalogDocuments.Version] = doc.GetInt64(CatalogDocuments.Version) + 1,
            };
            await _client.CommitAsync([FirestoreWrite.UpdateIfUnchanged(name, fields, doc.UpdateTime)], ct);
            return TransitionOutcome.Applied;
        }, cancellationToken);
    }

    public async Task<TransitionOutcome> KeepSalvagedAsync(string id, string why, CancellationToken cancellationToken)
    {
        if (NameOf(id) is not { } name)
        {
            return TransitionOutcome.NotFound;
        }
        return await Guarded(name, async ct =>
        {
            if (await _client.GetAsync(name, ct) is not { } doc)
            {
                return TransitionOutcome.NotFound;
            }
            if (StateNames.ParseCloud(doc.GetString(State)) != CloudState.Salvaged)
            {
                return TransitionOutcome.Refused;
            }
            if (doc.GetNullableString(ReplacementRefused) is not null)
            {
                return TransitionOutcome.AlreadyDone;
            }
            await _client.CommitAsync([FirestoreWrite.UpdateIfUnchanged(name, new Dictionary<string, object?>
            {
                [ReplacementRefused] = why,
                [UpdatedAt] = _time.GetUtcNow(),
                [CatalogDocuments.Version] = doc.GetInt64(CatalogDocuments.Version) + 1,
            }, doc.UpdateTime)], ct);
            return TransitionOutcome.Applied;
        }, cancellationToken);
    }

    /// <summary>The recorder announced a recording being salvaged or salvaged: its announcement is kept beside the salvaged facts, once (see the SQLite catalog).</summary>
    private async Task AnnounceSalvagedAsync(string name, FirestoreDocument existing, RecordingAnnouncement a, CancellationToken cancellationToken)
    {
        if (AnnouncementJson.Parse(existing.GetNullableString(RecorderAnnouncement)) is { } before)
        {
            if (before.Sha256 != a.Sha256 || before.FileSize != a.FileSize)
            {
                throw new InvalidOperationException(
                    $"Recording {a.Id} was announced before with SHA-256 {before.Sha256} and {before.FileSize} bytes; now with {a.Sha256} and {a.FileSize} bytes.");
            }
            return;
        }
        string staging = existing.GetString(StagingObject);
        if (staging != a.StagingObject)
        {
            throw new InvalidOperationException($"Recording {a.Id} was salvaged from {staging}; it cannot be announced at {a.StagingObject}.");
        }
        // A stale update time (FAILED_PRECONDITION) goes back to Guarded, which announces again from the start.
        await _client.CommitAsync([FirestoreWrite.UpdateIfUnchanged(name, new Dictionary<string, object?>
        {
            [RecorderAnnouncement] = AnnouncementJson.Write(a),
        }, existing.UpdateTime)], cancellationToken);
    }
}
