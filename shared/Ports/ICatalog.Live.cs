using Cctv.Shared.Domain;

namespace Cctv.Shared.Ports;

/// <summary>
/// A recorder's last report of its live sessions, as the catalog stored it: when the recorder sent it (its clock, which
/// orders reports) and when the catalog received it (the catalog's clock, which tells a silent recorder).
/// </summary>
public sealed record LiveSessionReport(string RecorderId, DateTimeOffset SentAt, DateTimeOffset ReceivedAt, IReadOnlyList<LiveSession> Sessions);

/// <summary>The rules every catalog applies to a report of live sessions (stated once, read by every adapter).</summary>
public static class LiveSessionRules
{
    /// <summary>
    /// The most sessions one report may hold: a recorder tails one segment per camera (two around a segment boundary),
    /// and the whole report must fit one Firestore document (1 MiB) with room to spare.
    /// </summary>
    public const int MaxSessions = 256;

    /// <summary>The longest session URI a report may carry (a Cloud Storage session URI is a few hundred characters).</summary>
    public const int MaxUriLength = 2048;

    /// <summary>
    /// Throws <see cref="ArgumentException"/> (naming the session) unless every session belongs to
    /// <paramref name="recorderId"/>: its recording ID is <see cref="RecordingId.For"/> of that recorder, its camera,
    /// run and sequence, and its staging object is <see cref="ObjectNames.Staging"/> of them. So a report can name only
    /// its own recorder's objects, and the sweep never finishes another recorder's upload on its word.
    /// </summary>
    public static void Validate(string recorderId, IReadOnlyList<LiveSession> sessions)
    {
        ArgumentException.ThrowIfNullOrEmpty(recorderId);
        ArgumentNullException.ThrowIfNull(sessions);
        if (sessions.Count > MaxSessions)
        {
            throw new ArgumentException($"A live-session report holds at most {MaxSessions} sessions; recorder {recorderId} sent {sessions.Count}.", nameof(sessions));
        }
        var ids = new HashSet<string>(StringComparer.Ordinal);
        foreach (LiveSession s in sessions)
        {
            string expectedId = RecordingId.For(recorderId, s.CameraId, s.Run, s.Sequence);
            if (!string.Equals(s.RecordingId, expectedId, StringComparison.Ordinal))
            {
                throw new ArgumentException(
                    $"Live session {s.RecordingId} is not recorder {recorderId}'s recording of camera {s.CameraId}, run {s.Run}, sequence {s.Sequence}.", nameof(sessions));
            }
            if (!string.Equals(s.StagingObject, ObjectNames.Staging(recorderId, s.CameraId, s.RecordingId), StringComparison.Ordinal))
            {
                throw new ArgumentException($"Live session {s.RecordingId} names staging object '{s.StagingObject}', which is not recorder {recorderId}'s.", nameof(sessions));
            }
            if (!s.SessionUri.IsAbsoluteUri || s.SessionUri.OriginalString.Length > MaxUriLength)
            {
                throw new ArgumentException($"Live session {s.RecordingId} has no usable session URI (absolute, at most {MaxUriLength} characters).", nameof(sessions));
            }
            if (s.ConfirmedBytes < 0)
            {
                throw new ArgumentException($"Live session {s.RecordingId} reports {s.ConfirmedBytes} confirmed bytes.", nameof(sessions));
            }
            if (!ids.Add(s.RecordingId))
            {
                throw new ArgumentException($"Live session {s.RecordingId} appears twice in one report.", nameof(sessions));
            }
        }
    }
}

public partial interface ICatalog
{
    #region Live sessions (issue 12: live tails and salvage)

    /// <summary>
    /// Replaces <paramref name="recorderId"/>'s set of live sessions with <paramref name="sessions"/> (empty: none),
    /// stamped with the catalog's clock as the time it was received. A report older than the stored one (by
    /// <paramref name="sentAt"/>) changes nothing. A session that is not the recorder's own (see
    /// <see cref="LiveSessionRules.Validate"/>) is an <see cref="ArgumentException"/> and nothing is stored.
    /// </summary>
    Task RecordLiveSessionsAsync(string recorderId, DateTimeOffset sentAt, IReadOnlyList<LiveSession> sessions, CancellationToken cancellationToken);

    /// <summary>The recorder's live sessions as last reported (empty when none, or never reported).</summary>
    Task<IReadOnlyList<LiveSession>> ListLiveSessionsAsync(string recorderId, CancellationToken cancellationToken);

    /// <summary>Every recorder's last report that holds at least one session, by recorder ID: what the sweep's salvage reads.</summary>
    Task<IReadOnlyList<LiveSessionReport>> ListLiveSessionReportsAsync(CancellationToken cancellationToken);

    #endregion
}
