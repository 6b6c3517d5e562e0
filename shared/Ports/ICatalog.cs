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

/// <summary>A page of recordings, newest first, and where the next page starts (null: this was the last).</summary>
public sealed record RecordingPage(IReadOnlyList<Recording> Items, PageCursor? Next);

/// <summary>
/// Where a page of a query stopped: the start time and ID of its last recording (a row the query's scope allows).
/// The API hands it out only sealed (<c>PageTokens</c> in the functions), never as is.
/// </summary>
public sealed record PageCursor(DateTimeOffset StartTime, string Id);

/// <summary>
/// A query of recordings over a time range: of the cameras named (all when none), limited to <paramref name="Scope"/>
/// inside the query, so a page holds <paramref name="PageSize"/> recordings the scope allows whenever there are that
/// many, and <see cref="RecordingPage.Next"/> is always one of them.
/// </summary>
public sealed record RecordingQuery(
    IReadOnlyCollection<CameraKey>? Cameras,
    DateTimeOffset? From,
    DateTimeOffset? To,
    int PageSize,
    PageCursor? After,
    CatalogScope Scope);

/// <summary>
/// The catalog of recordings, shared by the edge (announcements, gaps) and the cloud functions
/// (state changes, queries). SQLite on the embedded backend, Firestore on GCP.
/// Every state change is guarded by the state it expects, so repeating it changes nothing.
/// </summary>
public partial interface ICatalog
{
    /// <summary>Records that a segment exists. Repeating it is a no-op; a different announcement for the same ID is an error.</summary>
    Task AnnounceAsync(RecordingAnnouncement announcement, CancellationToken cancellationToken);

    /// <summary>
    /// <see cref="AnnounceAsync"/> for each, in order, in as few writes as the store allows (Firestore: one commit for the
    /// lot when none exists yet; a recorder's seal pass closes a segment on every camera at once). When it throws, any
    /// prefix of them may have been recorded: announcing again is the remedy, as for one.
    /// </summary>
    Task AnnounceManyAsync(IReadOnlyList<RecordingAnnouncement> announcements, CancellationToken cancellationToken);

    Task<Recording?> GetAsync(string id, CancellationToken cancellationToken);

    Task<IReadOnlyList<Recording>> GetManyAsync(IReadOnlyCollection<string> ids, CancellationToken cancellationToken);

    /// <summary>announced|quarantined -> staged.</summary>
    Task<TransitionOutcome> MarkStagedAsync(string id, long stagingGeneration, CancellationToken cancellationToken);

    /// <summary>staged -> archived.</summary>
    Task<TransitionOutcome> MarkArchivedAsync(string id, string archiveObject, long archiveGeneration, CancellationToken cancellationToken);

    /// <summary>announced|staged -> quarantined, with the reason; the edge re-uploads.</summary>
    Task<TransitionOutcome> MarkQuarantinedAsync(string id, string reason, CancellationToken cancellationToken);

    /// <summary>
    /// announced|quarantined -> lost, with the reason. Refused for a staged, archived or expired recording: its object reached
    /// the cloud, and the finalize path archives it instead.
    /// </summary>
    Task<TransitionOutcome> MarkLostAsync(string id, string reason, CancellationToken cancellationToken);

    /// <summary>archived -> expired (deleted from the archive by retention), with the reason. Refused under a legal hold.</summary>
    Task<TransitionOutcome> MarkExpiredAsync(string id, string reason, CancellationToken cancellationToken);

    /// <summary>
    /// Places (<paramref name="hold"/> true) or releases a legal hold: while it holds, retention never deletes the
    /// recording. AlreadyDone when it is already so; Refused for an expired recording (its bytes are gone).
    /// </summary>
    Task<TransitionOutcome> SetLegalHoldAsync(string id, bool hold, string? reason, CancellationToken cancellationToken);

    Task<RecordingPage> QueryAsync(RecordingQuery query, CancellationToken cancellationToken);

    /// <summary>Recordings in a state, oldest announcement first (for the sweep and for status).</summary>
    Task<IReadOnlyList<Recording>> ListByStateAsync(CloudState state, int limit, CancellationToken cancellationToken);

    /// <summary>The same, continuing after <paramref name="after"/> (announcement time, then ID), so a sweep can go on where it stopped.</summary>
    Task<IReadOnlyList<Recording>> ListByStateAsync(CloudState state, StateCursor? after, int limit, CancellationToken cancellationToken);

    /// <summary>
    /// Recordings of a camera with an archive copy retention may delete (the states <see cref="CloudTransitions"/> lets
    /// become <see cref="CloudState.Expired"/>: archived and salvaged) that started before <paramref name="startBefore"/>
    /// and are not under a legal hold, oldest first: what retention may delete.
    /// </summary>
    Task<IReadOnlyList<Recording>> ListArchivedBeforeAsync(CameraKey camera, DateTimeOffset startBefore, int limit, CancellationToken cancellationToken);

    /// <summary>
    /// Of the recordings that ended in [<paramref name="endedFrom"/>, <paramref name="endedBefore"/>), how many there are
    /// and how many were archived within <see cref="DeliveryTarget.ArchiveWithin"/> of their end.
    /// </summary>
    Task<DeliveryStats> GetDeliveryStatsAsync(DateTimeOffset endedFrom, DateTimeOffset endedBefore, CancellationToken cancellationToken);

    Task<IReadOnlyDictionary<CloudState, long>> CountByStateAsync(CancellationToken cancellationToken);

    /// <summary>Opens or closes a gap (same ID: the end time and reason are updated).</summary>
    Task RecordGapAsync(RecordingGap gap, CancellationToken cancellationToken);

    /// <summary>The gaps of one camera (by recorder and camera) that overlap [from, to), oldest first.</summary>
    Task<IReadOnlyList<RecordingGap>> ListGapsAsync(CameraKey camera, DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken);

    /// <summary>Adds or renames a camera; one row per recorder and camera ID, so another recorder's camera of the same ID is another camera.</summary>
    Task UpsertCameraAsync(CameraInfo camera, CancellationToken cancellationToken);

    /// <summary>The cameras in <paramref name="scope"/>, by key.</summary>
    Task<IReadOnlyList<CameraInfo>> ListCamerasAsync(CatalogScope scope, CancellationToken cancellationToken);

    /// <summary>
    /// Stores a recorder's heartbeat (its backlog), stamped with the catalog's clock as the time it was received.
    /// A heartbeat older than the stored one (by <see cref="RecorderHeartbeat.SentAt"/>) changes nothing.
    /// </summary>
    Task RecordHeartbeatAsync(RecorderHeartbeat heartbeat, CancellationToken cancellationToken);

    /// <summary>Every recorder that ever sent a heartbeat, by ID.</summary>
    Task<IReadOnlyList<RecorderStatus>> ListRecordersAsync(CancellationToken cancellationToken);

    /// <summary>A small named value a periodic job keeps between runs (the sweep's continuation), or null.</summary>
    Task<string?> GetCheckpointAsync(string name, CancellationToken cancellationToken);

    /// <summary>Stores (or, with null, clears) a named checkpoint.</summary>
    Task SaveCheckpointAsync(string name, string? value, CancellationToken cancellationToken);

    // Access: which site each recorder records for, who may see which sites or cameras, and the service clients' API keys.

    /// <summary>Assigns a recorder to a site (again: moves it).</summary>
    Task SetRecorderSiteAsync(RecorderSite assignment, CancellationToken cancellationToken);

    /// <summary>Every recorder's site, by recorder ID.</summary>
    Task<IReadOnlyDictionary<string, string>> ListRecorderSitesAsync(CancellationToken cancellationToken);

    /// <summary>Adds a grant; granting it again changes nothing.</summary>
    Task GrantAsync(AccessGrant grant, CancellationToken cancellationToken);

    /// <summary>Removes a grant; false when there was none.</summary>
    Task<bool> RevokeAsync(AccessGrant grant, CancellationToken cancellationToken);

    /// <summary>A principal's grants (none: it sees nothing).</summary>
    Task<IReadOnlyList<AccessGrant>> ListGrantsAsync(string principal, CancellationToken cancellationToken);

    /// <summary>Stores a new API key record; a key ID that exists already is an <see cref="InvalidOperationException"/>.</summary>
    Task CreateApiKeyAsync(ApiKeyRecord key, CancellationToken cancellationToken);

    /// <summary>An API key record by its public ID, revoked or not; null when there is none.</summary>
    Task<ApiKeyRecord?> GetApiKeyAsync(string keyId, CancellationToken cancellationToken);

    /// <summary>Revokes an API key from now on; false when there is no such key or it was revoked already.</summary>
    Task<bool> RevokeApiKeyAsync(string keyId, CancellationToken cancellationToken);

    /// <summary>
    /// A named secret every instance of the functions shares (the key of playback links): the stored one, or
    /// <paramref name="candidate"/> when there was none. Create-only, so of racing first callers exactly one value wins
    /// and all of them get it.
    /// </summary>
    Task<string> GetOrCreateSecretAsync(string name, string candidate, CancellationToken cancellationToken);

    // Recorder claims: a recorder ID belongs to the installation that first started under it.

    /// <summary>
    /// Claims <paramref name="claim"/>'s recorder ID for its installation key, create-only: when the ID is unclaimed (or
    /// its claim was released) <paramref name="claim"/> is stored; otherwise nothing changes. Returns the claim that
    /// holds afterwards, so the caller compares it with its own (<see cref="RecorderClaim.Refusal"/>). Of racing first
    /// claims exactly one is stored and every caller gets that one.
    /// </summary>
    Task<RecorderClaim> ClaimRecorderAsync(RecorderClaim claim, CancellationToken cancellationToken);

    /// <summary>The claim on a recorder ID (released or not), or null when it was never claimed.</summary>
    Task<RecorderClaim?> GetRecorderClaimAsync(string recorderId, CancellationToken cancellationToken);

    /// <summary>
    /// Releases the claim on a recorder ID, recording who and why (the claim stays, marked released, until the next
    /// installation claims the ID). Returns the released claim, or null when there was none or it was released already.
    /// </summary>
    Task<RecorderClaim?> ReleaseRecorderClaimAsync(string recorderId, string releasedBy, string reason, CancellationToken cancellationToken);

    // Evidence: the public keys recorders sign their chain manifests with (docs/evidence-format.md).

    /// <summary>
    /// Registers a recorder's public key (<see cref="RecorderKey.Validate"/> first: a fingerprint that is not the key's is an
    /// <see cref="ArgumentException"/>). The same key again changes nothing; a different key for a recorder that has one is
    /// stored as a rotation naming the key before it, and both stay listed.
    /// </summary>
    Task<RecorderKeyOutcome> RegisterRecorderKeyAsync(RecorderKey key, CancellationToken cancellationToken);

    /// <summary>Every key the recorder ID ever registered, oldest first (empty when none).</summary>
    Task<IReadOnlyList<RecorderKey>> ListRecorderKeysAsync(string recorderId, CancellationToken cancellationToken);

    /// <summary>Records a break found in a camera's evidence chain; the same ID again changes nothing (a break is never overwritten or repaired).</summary>
    Task RecordChainBreakAsync(ChainBreakRecord chainBreak, CancellationToken cancellationToken);

    /// <summary>Every break recorded for the camera, in the order found.</summary>
    Task<IReadOnlyList<ChainBreakRecord>> ListChainBreaksAsync(CameraKey camera, CancellationToken cancellationToken);
}
