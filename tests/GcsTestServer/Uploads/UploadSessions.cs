using System.Collections.Concurrent;
using System.Security.Cryptography;
using Cctv.Testing.Gcs.Http;
using Microsoft.AspNetCore.WebUtilities;

namespace Cctv.Testing.Gcs.Uploads;

/// <summary>The resumable sessions by upload id, and their expiry.</summary>
internal sealed class UploadSessions(TimeProvider time, TimeSpan lifetime)
{
    private readonly ConcurrentDictionary<string, UploadSession> _sessions = new(StringComparer.Ordinal);

    public static string NewId() => "ADPyc" + WebEncoders.Base64UrlEncode(RandomNumberGenerator.GetBytes(36));

    public void Add(UploadSession session) => _sessions[session.Id] = session;

    /// <summary>The session, or 404 (unknown id) / 410 (expired).</summary>
    public UploadSession Get(string uploadId)
    {
        if (!_sessions.TryGetValue(uploadId, out UploadSession? session))
        {
            throw GcsException.NotFound($"No such upload session: upload_id '{uploadId}' was never issued by this server.");
        }
        if (IsExpired(session))
        {
            throw new GcsException(410, "gone", "The upload session has expired; start a new resumable upload.");
        }
        return session;
    }

    public bool IsExpired(UploadSession session) =>
        session.ForcedExpiry || time.GetUtcNow() - session.Created >= lifetime;

    public bool Expire(string uploadId)
    {
        if (_sessions.TryGetValue(uploadId, out UploadSession? session))
        {
            session.ForcedExpiry = true;
            return true;
        }
        return false;
    }

    public void ExpireAll()
    {
        foreach (UploadSession session in _sessions.Values)
        {
            session.ForcedExpiry = true;
        }
    }

    /// <summary>The most bytes an active (neither finished nor expired) session for this object holds; 0 when none.</summary>
    public long PersistedFor(string bucket, string name)
    {
        long most = 0;
        foreach (UploadSession session in _sessions.Values)
        {
            if (!string.Equals(session.Bucket, bucket, StringComparison.Ordinal) || !string.Equals(session.Name, name, StringComparison.Ordinal) || IsExpired(session))
            {
                continue;
            }
            lock (session.Gate)
            {
                if (session.State == SessionState.Active)
                {
                    most = Math.Max(most, session.Persisted);
                }
            }
        }
        return most;
    }

    public int ActiveCount => _sessions.Values.Count(s => s.State == SessionState.Active && !IsExpired(s));
}
