using System.Collections.Concurrent;
using Cctv.Shared.Domain;
using Cctv.Shared.Ports;

namespace Cctv.Benchmarks.Loadgen;

/// <summary>
/// The catalog port with a count of its calls: reads (gets, queries, counts, lists) and writes (announcements, state
/// changes, gaps, heartbeats, checkpoints, access), and, per recording, how many times a change to archived was
/// applied, which is how the load generator checks exactly-once. One port call is one operation here; on Firestore a
/// guarded change is one document read and one commit (shared/Gcp/Firestore/FirestoreCatalog.cs).
/// </summary>
public sealed class CountingCatalog(ICatalog inner) : ICatalog
{
    private readonly ConcurrentDictionary<string, int> _archivedApplied = new(StringComparer.Ordinal);
    private long _reads;
    private long _writes;

    public long Reads => Interlocked.Read(ref _reads);

    public long Writes => Interlocked.Read(ref _writes);

    /// <summary>How many times MarkArchivedAsync was applied to each recording (1 for every recording: exactly once).</summary>
    public IReadOnlyDictionary<string, int> ArchivedApplied => _archivedApplied;

    public Task AnnounceAsync(RecordingAnnouncement announcement, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _writes);
        return inner.AnnounceAsync(announcement, cancellationToken);
    }

    public Task AnnounceManyAsync(IReadOnlyList<RecordingAnnouncement> announcements, CancellationToken cancellationToken)
    {
        Interlocked.Add(ref _writes, announcements.Count);
        return inner.AnnounceManyAsync(announcements, cancellationToken);
    }

    public Task<Recording?> GetAsync(string id, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _reads);
        return inner.GetAsync(id, cancellationToken);
    }

    public Task<IReadOnlyList<Recording>> GetManyAsync(IReadOnlyCollection<string> ids, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _reads);
        return inner.GetManyAsync(ids, cancellationToken);
    }

    public Task<TransitionOutcome> MarkStagedAsync(string id, long stagingGeneration, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _writes);
        return inner.MarkStagedAsync(id, stagingGeneration, cancellationToken);
    }

    public async Task<TransitionOutcome> MarkArchivedAsync(string id, string archiveObject, long archiveGeneration, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _writes);
        TransitionOutcome outcome = await inner.MarkArchivedAsync(id, archiveObject, archiveGeneration, cancellationToken);
        if (outcome == TransitionOutcome.Applied)
        {
            _archivedApplied.AddOrUpdate(id, 1, (_, n) => n + 1);
        }
        return outcome;
    }

    public Task<TransitionOutcome> MarkQuarantinedAsync(string id, string reason, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _writes);
        return inner.MarkQuarantinedAsync(id, reason, cancellationToken);
    }

    public Task<TransitionOutcome> MarkLostAsync(string id, string reason, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _writes);
        return inner.MarkLostAsync(id, reason, cancellationToken);
    }

    public Task<TransitionOutcome> MarkExpiredAsync(string id, string reason, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _writes);
        return inner.MarkExpiredAsync(id, reason, cancellationToken);
    }

    public Task<TransitionOutcome> SetLegalHoldAsync(string id, bool hold, string? reason, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _writes);
        return inner.SetLegalHoldAsync(id, hold, reason, cancellationToken);
    }

    public Task<RecordingPage> QueryAsync(RecordingQuery query, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _reads);
        return inner.QueryAsync(query, cancellationToken);
    }

    public Task<IReadOnlyList<Recording>> ListByStateAsync(CloudState state, int limit, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _reads);
        return inner.ListByStateAsync(state, limit, cancellationToken);
    }

    public Task<IReadOnlyList<Recording>> ListByStateAsync(CloudState state, StateCursor? after, int limit, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _reads);
        return inner.ListByStateAsync(state, after, limit, cancellationToken);
    }

    public Task<IReadOnlyList<Recording>> ListArchivedBeforeAsync(CameraKey camera, DateTimeOffset startBefore, int limit, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _reads);
        return inner.ListArchivedBeforeAsync(camera, startBefore, limit, cancellationToken);
    }

    public Task<DeliveryStats> GetDeliveryStatsAsync(DateTimeOffset endedFrom, DateTimeOffset endedBefore, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _reads);
        return inner.GetDeliveryStatsAsync(endedFrom, endedBefore, cancellationToken);
    }

    public Task<IReadOnlyDictionary<CloudState, long>> CountByStateAsync(CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _reads);
        return inner.CountByStateAsync(cancellationToken);
    }

    public Task RecordGapAsync(RecordingGap gap, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _writes);
        return inner.RecordGapAsync(gap, cancellationToken);
    }

    public Task<IReadOnlyList<RecordingGap>> ListGapsAsync(CameraKey camera, DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _reads);
        return inner.ListGapsAsync(camera, from, to, cancellationToken);
    }

    public Task UpsertCameraAsync(CameraInfo camera, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _writes);
        return inner.UpsertCameraAsync(camera, cancellationToken);
    }

    public Task<IReadOnlyList<CameraInfo>> ListCamerasAsync(CatalogScope scope, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _reads);
        return inner.ListCamerasAsync(scope, cancellationToken);
    }

    public Task RecordHeartbeatAsync(RecorderHeartbeat heartbeat, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _writes);
        return inner.RecordHeartbeatAsync(heartbeat, cancellationToken);
    }

    public Task<TransitionOutcome> BeginSalvageAsync(RecordingAnnouncement synthesized, string reason, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _writes);
        return inner.BeginSalvageAsync(synthesized, reason, cancellationToken);
    }

    public Task<TransitionOutcome> MarkSalvagedAsync(string id, SalvagedCopy copy, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _writes);
        return inner.MarkSalvagedAsync(id, copy, cancellationToken);
    }

    public Task<TransitionOutcome> ReplaceSalvagedAsync(string id, long stagingGeneration, string archiveObject, long archiveGeneration, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _writes);
        return inner.ReplaceSalvagedAsync(id, stagingGeneration, archiveObject, archiveGeneration, cancellationToken);
    }

    public Task<TransitionOutcome> KeepSalvagedAsync(string id, string why, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _writes);
        return inner.KeepSalvagedAsync(id, why, cancellationToken);
    }

    public Task RecordLiveSessionsAsync(string recorderId, DateTimeOffset sentAt, IReadOnlyList<LiveSession> sessions, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _writes);
        return inner.RecordLiveSessionsAsync(recorderId, sentAt, sessions, cancellationToken);
    }

    public Task<IReadOnlyList<LiveSession>> ListLiveSessionsAsync(string recorderId, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _reads);
        return inner.ListLiveSessionsAsync(recorderId, cancellationToken);
    }

    public Task<IReadOnlyList<LiveSessionReport>> ListLiveSessionReportsAsync(CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _reads);
        return inner.ListLiveSessionReportsAsync(cancellationToken);
    }

    public Task<IReadOnlyList<RecorderStatus>> ListRecordersAsync(CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _reads);
        return inner.ListRecordersAsync(cancellationToken);
    }

    public Task<string?> GetCheckpointAsync(string name, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _reads);
        return inner.GetCheckpointAsync(name, cancellationToken);
    }

    public Task SaveCheckpointAsync(string name, string? value, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _writes);
        return inner.SaveCheckpointAsync(name, value, cancellationToken);
    }

    public Task SetRecorderSiteAsync(RecorderSite assignment, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _writes);
        return inner.SetRecorderSiteAsync(assignment, cancellationToken);
    }

    public Task<IReadOnlyDictionary<string, string>> ListRecorderSitesAsync(CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _reads);
        return inner.ListRecorderSitesAsync(cancellationToken);
    }

    public Task GrantAsync(AccessGrant grant, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _writes);
        return inner.GrantAsync(grant, cancellationToken);
    }

    public Task<bool> RevokeAsync(AccessGrant grant, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _writes);
        return inner.RevokeAsync(grant, cancellationToken);
    }

    public Task<IReadOnlyList<AccessGrant>> ListGrantsAsync(string principal, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _reads);
        return inner.ListGrantsAsync(principal, cancellationToken);
    }

    public Task CreateApiKeyAsync(ApiKeyRecord key, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _writes);
        return inner.CreateApiKeyAsync(key, cancellationToken);
    }

    public Task<ApiKeyRecord?> GetApiKeyAsync(string keyId, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _reads);
        return inner.GetApiKeyAsync(keyId, cancellationToken);
    }

    public Task<bool> RevokeApiKeyAsync(string keyId, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _writes);
        return inner.RevokeApiKeyAsync(keyId, cancellationToken);
    }

    public Task<string> GetOrCreateSecretAsync(string name, string candidate, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _writes);
        return inner.GetOrCreateSecretAsync(name, candidate, cancellationToken);
    }

    public Task<RecorderClaim> ClaimRecorderAsync(RecorderClaim claim, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _writes);
        return inner.ClaimRecorderAsync(claim, cancellationToken);
    }

    public Task<RecorderClaim?> GetRecorderClaimAsync(string recorderId, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _reads);
        return inner.GetRecorderClaimAsync(recorderId, cancellationToken);
    }

    public Task<RecorderClaim?> ReleaseRecorderClaimAsync(string recorderId, string releasedBy, string reason, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _writes);
        return inner.ReleaseRecorderClaimAsync(recorderId, releasedBy, reason, cancellationToken);
    }

    public Task<AuditEntry> RecordReadAsync(AuditRead read, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _writes);
        return inner.RecordReadAsync(read, cancellationToken);
    }

    public Task<AuditPage> QueryAuditAsync(AuditQuery query, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _reads);
        return inner.QueryAuditAsync(query, cancellationToken);
    }

    public Task<IReadOnlyList<Recording>> ListLegalHoldsAsync(string? afterId, int limit, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _reads);
        return inner.ListLegalHoldsAsync(afterId, limit, cancellationToken);
    }

    public Task<RecorderKeyOutcome> RegisterRecorderKeyAsync(RecorderKey key, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _writes);
        return inner.RegisterRecorderKeyAsync(key, cancellationToken);
    }

    public Task<IReadOnlyList<RecorderKey>> ListRecorderKeysAsync(string recorderId, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _reads);
        return inner.ListRecorderKeysAsync(recorderId, cancellationToken);
    }

    public Task RecordChainBreakAsync(ChainBreakRecord chainBreak, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _writes);
        return inner.RecordChainBreakAsync(chainBreak, cancellationToken);
    }

    public Task<IReadOnlyList<ChainBreakRecord>> ListChainBreaksAsync(CameraKey camera, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _reads);
        return inner.ListChainBreaksAsync(camera, cancellationToken);
    }
}
