using Microsoft.Extensions.Logging;

namespace Cctv.Testing.Gcs;

/// <summary>How a <see cref="GcsTestServer"/> behaves. Every property has a default that matches GCS.</summary>
public sealed record GcsTestServerOptions
{
    /// <summary>Buckets that exist from the start.</summary>
    public IReadOnlyList<string> Buckets { get; init; } = [];

    /// <summary>Create a bucket on first use instead of answering 404 (GCS answers 404).</summary>
    public bool AutoCreateBuckets { get; init; }

    /// <summary>When set, every request except those on a session URI needs <c>Authorization: Bearer {token}</c> (else 401).</summary>
    public string? RequiredBearerToken { get; init; }

    /// <summary>How long a resumable session lives after initiation; later requests on it get 410. GCS: one week.</summary>
    public TimeSpan SessionLifetime { get; init; } = TimeSpan.FromDays(7);

    /// <summary>The clock for session expiry, object times and stalls.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>
    /// When set, a rewrite copies at most this many bytes per call and answers <c>done: false</c> with a
    /// <c>rewriteToken</c> until the object is complete (a request's smaller <c>maxBytesRewrittenPerCall</c> wins).
    /// Null: one call, unless the request asks for less.
    /// </summary>
    public long? RewriteBytesPerCall { get; init; }

    /// <summary>Random fault injection from the start; <see cref="GcsTestServer.Faults"/> changes it later.</summary>
    public GcsFaultOptions Faults { get; init; } = GcsFaultOptions.None;

    /// <summary>Log level of the server's console logging (Kestrel and the server's own errors).</summary>
    public LogLevel MinimumLogLevel { get; init; } = LogLevel.Warning;

    internal void Validate()
    {
        if (SessionLifetime <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(SessionLifetime), SessionLifetime, $"{nameof(GcsTestServerOptions)}.{nameof(SessionLifetime)} must be positive.");
        }
        if (RewriteBytesPerCall is <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(RewriteBytesPerCall), RewriteBytesPerCall, $"{nameof(GcsTestServerOptions)}.{nameof(RewriteBytesPerCall)} must be positive.");
        }
        ArgumentNullException.ThrowIfNull(TimeProvider, nameof(TimeProvider));
        ArgumentNullException.ThrowIfNull(Faults, nameof(Faults));
        ArgumentNullException.ThrowIfNull(Buckets, nameof(Buckets));
        Faults.Validate();
    }
}
