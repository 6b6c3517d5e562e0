using Cctv.Shared.Domain;

namespace Cctv.Shared.Ports;

/// <summary>How a guarded state change went.</summary>
public enum TransitionOutcome
{
    /// <summary>The change was made.</summary>
    Applied,
    /// <summary>The recording was already in the target state: a repeated step, nothing to do.</summary>
    AlreadyDone,
    /// <summary>The recording is in a state this change may not leave (for example, already archived).</summary>
    Refused,
    /// <summary>No such recording.</summary>
    NotFound,
}

/// <summary>A page of recordings, newest first, and the cursor for the next page.</summary>
public sealed record RecordingPage(IReadOnlyList<Recording> Items, string? NextPageToken);

/// <summary>A query of the recordings of one or more cameras over a time range.</summary>
public sealed record RecordingQuery(
    IReadOnlyCollection<string>? CameraIds,
    DateTimeOffset? From,
    DateTimeOffset? To,
    int PageSize,
    string? PageToken);

/// <summary>
/// The catalog of recordings, shared by the edge (announcements, gaps) and the cloud functions
/// (state changes, queries). SQLite on the embedded backend, Firestore on GCP.
/// Every state change is guarded by the state it expects, so repeating it changes nothing.
/// </summary>
public interface ICatalog
{
    /// <summary>Records that a segment exists. Repeating it is a no-op; a different announcement for the same ID is an error.</summary>
    Task AnnounceAsync(RecordingAnnouncement announcement, CancellationToken cancellationToken);

    Task<Recording?> GetAsync(string id, CancellationToken cancellationToken);

    Task<IReadOnlyList<Recording>> GetManyAsync(IReadOnlyCollection<string> ids, CancellationToken cancellationToken);

    /// <summary>announced|quarantined -> staged.</summary>
    Task<TransitionOutcome> MarkStagedAsync(string id, long stagingGeneration, CancellationToken cancellationToken);

    /// <summary>staged -> archived.</summary>
    Task<TransitionOutcome> MarkArchivedAsync(string id, string archiveObject, long archiveGeneration, CancellationToken cancellationToken);

    /// <summary>announced|staged -> quarantined, with the reason; the edge re-uploads.</summary>
    Task<TransitionOutcome> MarkQuarantinedAsync(string id, string reason, CancellationToken cancellationToken);

    /// <summary>any state but archived -> lost, with the reason.</summary>
    Task<TransitionOutcome> MarkLostAsync(string id, string reason, CancellationToken cancellationToken);

    Task<RecordingPage> QueryAsync(RecordingQuery query, CancellationToken cancellationToken);

    /// <summary>Recordings in a state, oldest announcement first (for the sweep and for status).</summary>
    Task<IReadOnlyList<Recording>> ListByStateAsync(CloudState state, int limit, CancellationToken cancellationToken);

    Task<IReadOnlyDictionary<CloudState, long>> CountByStateAsync(CancellationToken cancellationToken);

    /// <summary>Opens or closes a gap (same ID: the end time and reason are updated).</summary>
    Task RecordGapAsync(RecordingGap gap, CancellationToken cancellationToken);

    Task<IReadOnlyList<RecordingGap>> ListGapsAsync(string cameraId, DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken);

    Task UpsertCameraAsync(CameraInfo camera, CancellationToken cancellationToken);

    Task<IReadOnlyList<CameraInfo>> ListCamerasAsync(CancellationToken cancellationToken);
}
