namespace Cctv.Testing.Gcs;

/// <summary>What an injected fault does to the request it hits. No fault ever stores wrong bytes.</summary>
public enum GcsFaultKind
{
    /// <summary>Answers 500 (backendError) after reading the request body; nothing is persisted.</summary>
    Http500,

    /// <summary>Answers 503 (backendError) after reading the request body; nothing is persisted.</summary>
    Http503,

    /// <summary>Answers 429 (rateLimitExceeded), with <c>Retry-After</c> when <see cref="GcsFaultOptions.RetryAfter"/> is set.</summary>
    Http429,

    /// <summary>
    /// Reads about half of the request body, then aborts the connection (the client sees a reset:
    /// <see cref="System.Net.Http.HttpRequestException"/> / <see cref="IOException"/>). On a resumable chunk the
    /// 256 KiB-aligned prefix of what was read is persisted only when <see cref="GcsFaultOptions.PersistReceivedBytesOnReset"/>.
    /// On a download, half of the body is sent before the abort. Elsewhere the connection is aborted before any answer.
    /// </summary>
    ResetMidChunk,

    /// <summary>Waits <see cref="GcsFaultOptions.StallDuration"/> (or until the client gives up), then answers 503 or aborts (<see cref="GcsFaultOptions.StallEndsWithReset"/>).</summary>
    Stall,

    /// <summary>
    /// Resumable chunks only: persists a 256 KiB-multiple prefix shorter than the chunk (about half of it) and answers
    /// 308 with the shorter <c>Range</c>; a final chunk therefore does not complete the upload.
    /// </summary>
    PartialAccept,

    /// <summary>Processes the request completely (an upload is committed), then aborts the connection instead of answering.</summary>
    DropResponse,

    /// <summary>
    /// Processes the request completely (an upload is committed with the right bytes), but the object resource in the
    /// answer reports another CRC32C: a server whose word must not be taken. Only drawn when queued or weighted.
    /// </summary>
    WrongCrc32CReported,
}
