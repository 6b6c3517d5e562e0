using Cctv.EdgeRecorder.Configuration;
using Cctv.EdgeRecorder.Identity;
using Cctv.EdgeRecorder.Outbox;
using Cctv.Shared.Domain;
using Cctv.Shared.Ports;
using Microsoft.Extensions.Logging;

namespace Cctv.EdgeRecorder.Pipeline;

/// <summary>What one paced verification did: how many uploaded segments it asked about, verified, and sent to be uploaded again.</summary>
public sealed record VerifyPass(int Asked, int Verified, int Requeued);

/// <summary>
/// Keeps the catalog in step with the outbox: announces sealed segments and gaps (later, if the catalog
/// was unreachable: recording and uploading never wait for it), reads back the cloud state of uploaded
/// segments (archived: verified; quarantined: upload again), and, when cleanup is on, removes the local
/// copy of verified segments.
/// </summary>
/// <param name="catalog">Null when the recorder only uploads: then there is nothing to announce or verify.</param>
public sealed class CatalogSync(OutboxStore outbox, ICatalog? catalog, RecorderClaimGuard claims, RecorderOptions options, TimeProvider time, ILoggerFactory logs)
{
    private readonly ILogger _log = logs.CreateLogger<CatalogSync>();

    public async Task AnnounceAsync(CancellationToken cancellationToken)
    {
        if (catalog is null)
        {
            return;
        }
        await claims.EnsureAsync(cancellationToken);
        var clocks = new Dictionary<(string CameraId, long Run), ClockState?>(); // a run's clock, read once per pass
        // What a seal pass sealed (a segment of every camera, as they close together) goes to the catalog in one write.
        IReadOnlyList<OutboxSegment> unannounced = outbox.Unannounced(200);
        if (unannounced.Count > 0)
        {
            await catalog.AnnounceManyAsync([.. unannounced.Select(s => Announcements.Of(options, outbox, s, clocks))], cancellationToken);
            outbox.MarkAnnounced([.. unannounced.Select(s => s.Id)]);
        }
        foreach ((RecordingGap gap, _) in outbox.Gaps(unsyncedOnly: true, options.Id))
        {
            await catalog.RecordGapAsync(gap, cancellationToken);
            outbox.MarkGapSynced(gap);
        }
        foreach (OutboxSegment lost in outbox.UnsyncedLosses(200))
        {
            await catalog.AnnounceAsync(Announcements.Of(options, outbox, lost, clocks), cancellationToken);
            if (await catalog.MarkLostAsync(lost.Id, lost.LastError ?? "lost on the recorder", cancellationToken) == TransitionOutcome.Refused)
            {
                // Staged, archived or expired: its object reached the cloud after all, and the cloud archives it.
                _log.LogWarning("The catalog refused the loss of {RecordingId}: its object reached the cloud ({Reason})", lost.Id, lost.LastError);
            }
            outbox.MarkLossSynced(lost.Id);
        }
    }

    private DateTimeOffset _nextHeartbeat = DateTimeOffset.MinValue;

    /// <summary>Tells the catalog this recorder is alive and what it still has to upload, at most once per heartbeat interval.</summary>
    public async Task<bool> HeartbeatIfDueAsync(CancellationToken cancellationToken)
    {
        if (catalog is null || time.GetUtcNow() < _nextHeartbeat)
        {
            return false;
        }
        await HeartbeatAsync(cancellationToken);
        return true;
    }

    /// <summary>Sends a heartbeat now (at the end of a drain or a run too, so the catalog's view of the backlog is current).</summary>
    public async Task HeartbeatAsync(CancellationToken cancellationToken)
    {
        DateTimeOffset now = time.GetUtcNow();
        if (catalog is null)
        {
            return;
        }
        await claims.EnsureAsync(cancellationToken);
        (long segments, long bytes, DateTimeOffset? oldest) = outbox.Backlog();
        var heartbeat = new RecorderHeartbeat(options.Id, now, segments, bytes, oldest, AgentVersion);
        await catalog.RecordHeartbeatAsync(heartbeat, cancellationToken);
        _nextHeartbeat = now + options.HeartbeatInterval;
        await ReportLiveSessionsAsync(force: true, cancellationToken);
    }

    private DateTimeOffset _nextLiveReport = DateTimeOffset.MinValue;
    private string? _lastLiveReport;

    /// <summary>
    /// Reports the live sessions (each segment tailed or fallen back whose session is not finished: its URI, confirmed
    /// bytes and confirmed-up-to) at most every <see cref="LiveTailOptions.ReportInterval"/>, and only when something
    /// changed since the last report the catalog took. The cloud finishes them from this if the recorder goes silent.
    /// </summary>
    public async Task<bool> ReportLiveSessionsIfDueAsync(CancellationToken cancellationToken)
    {
        if (catalog is null || time.GetUtcNow() < _nextLiveReport)
        {
            return false;
        }
        return await ReportLiveSessionsAsync(force: false, cancellationToken);
    }

    /// <summary>Sends the live sessions now when they changed, or whatever they are when <paramref name="force"/> (with the heartbeat). True when sent.</summary>
    public async Task<bool> ReportLiveSessionsAsync(bool force, CancellationToken cancellationToken)
    {
        if (catalog is null)
        {
            return false;
        }
        DateTimeOffset now = time.GetUtcNow();
        _nextLiveReport = now + options.LiveTail.ReportInterval;
        // Newest first: past the catalog's limit, the open segments (whose local copy is most at risk) are the ones reported.
        List<LiveSession> sessions = outbox.LiveTails().OrderByDescending(t => t.OpenedAt).ThenByDescending(t => t.RecordingId, StringComparer.Ordinal)
            .Take(LiveSessionRules.MaxSessions)
            .Select(t => new LiveSession(t.RecordingId, t.CameraId, t.Run, t.Sequence, t.ObjectName, t.SessionUri, t.ConfirmedBytes, t.OpenedAt, t.ConfirmedUpTo))
            .ToList();
        string fingerprint = string.Join('\n', sessions.Select(s => $"{s.RecordingId} {s.SessionUri} {s.ConfirmedBytes} {s.OpenedAt.ToUnixTimeMilliseconds()} {s.ConfirmedUpTo?.ToUnixTimeMilliseconds()}"));
        if (!force && fingerprint == _lastLiveReport)
        {
            return false;
        }
        await claims.EnsureAsync(cancellationToken);
        await catalog.RecordLiveSessionsAsync(options.Id, now, sessions, cancellationToken);
        _lastLiveReport = fingerprint;
        return true;
    }

    private static readonly string AgentVersion =
        typeof(CatalogSync).Assembly.GetName().Version?.ToString() ?? "unknown";

    /// <summary>Asks the catalog about the oldest uploaded segments (up to 500) at once. Returns how many became verified.</summary>
    public async Task<int> VerifyAsync(CancellationToken cancellationToken)
    {
        if (catalog is null)
        {
            return 0;
        }
        return await ApplyCloudStateAsync(outbox.ListByState(EdgeState.Uploaded, 500), cancellationToken);
    }

    /// <summary>How many uploaded segments one paced verification asks the catalog about.</summary>
    public const int VerifyPageSize = 100;

    private UploadedCursor? _verifyFrom;

    /// <summary>
    /// One catalog query for one page of what waits for verification: the oldest uploaded segments while the cloud makes
    /// progress on them; when a page made none (the cloud is slow on those), the next call asks about the page after it,
    /// going round, so stuck segments never hide the ones behind them. Returns what it asked and how many became verified.
    /// </summary>
    public async Task<VerifyPass> VerifyNextPageAsync(CancellationToken cancellationToken)
    {
        if (catalog is null)
        {
            return new VerifyPass(0, 0, 0);
        }
        (IReadOnlyList<OutboxSegment> page, UploadedCursor? next) = outbox.UploadedPage(_verifyFrom, VerifyPageSize);
        if (page.Count == 0 && _verifyFrom is not null)
        {
            _verifyFrom = null;
            (page, next) = outbox.UploadedPage(null, VerifyPageSize);
        }
        if (page.Count == 0)
        {
            return new VerifyPass(0, 0, 0);
        }
        int requeuedBefore = _requeued;
        int verified = await ApplyCloudStateAsync(page, cancellationToken);
        _verifyFrom = verified > 0 ? null : next;
        return new VerifyPass(page.Count, verified, _requeued - requeuedBefore);
    }

    private int _requeued;

    private async Task<int> ApplyCloudStateAsync(IReadOnlyList<OutboxSegment> uploaded, CancellationToken cancellationToken)
    {
        if (uploaded.Count == 0 || catalog is null)
        {
            return 0;
        }
        var cloud = (await catalog.GetManyAsync(uploaded.Select(s => s.Id).ToList(), cancellationToken)).ToDictionary(r => r.Id);
        int verified = 0;
        foreach (OutboxSegment segment in uploaded)
        {
            if (!cloud.TryGetValue(segment.Id, out Recording? recording))
            {
                continue;
            }
            switch (recording.State)
            {
                case CloudState.Archived when recording.Announcement.Sha256 == segment.Sha256:
                    outbox.MarkVerified(segment.Id);
                    verified++;
                    break;
                case CloudState.Quarantined:
                    _log.LogWarning("The cloud quarantined {RecordingId} ({Reason}); uploading it again", segment.Id, recording.Reason);
                    outbox.RequeueForUpload(segment.Id, EdgeState.Uploaded, $"quarantined by the cloud: {recording.Reason}");
                    _requeued++;
                    break;
                case CloudState.Expired:
                    // Retention deleted it from the archive: final here too, never uploaded again.
                    outbox.MarkExpired(segment.Id, $"the catalog says expired: {recording.Reason}");
                    break;
                case CloudState.Lost:
                    Losses.Record(outbox, segment, $"the catalog says lost: {recording.Reason}", _log, EdgeState.Uploaded);
                    break;
            }
        }
        return verified;
    }

    /// <summary>Removes local copies of verified segments when cleanup is on. Returns how many.</summary>
    public int Evict()
    {
        if (!options.CleanupLocal)
        {
            return 0;
        }
        int evicted = 0;
        foreach (OutboxSegment segment in outbox.ListByState(EdgeState.Verified, 500))
        {
            // Marked first, compare-and-set: a row a forced sync has just sent again keeps its file.
            if (outbox.MarkEvicted(segment.Id))
            {
                File.Delete(segment.Path);
                evicted++;
            }
        }
        return evicted;
    }
}
