namespace Cctv.Shared.Ports;

/// <summary>Where an append session writes: the object it creates when it finishes, and its precondition.</summary>
/// <param name="IfGenerationMatch">0: create only (what the edge always uses); the precondition is checked when the session finishes.</param>
public sealed record AppendSessionRequest(
    string Bucket,
    string Name,
    string ContentType,
    long? IfGenerationMatch,
    IReadOnlyDictionary<string, string> Metadata);

/// <summary>What the store holds for a session: the bytes persisted so far, or the object when the session finished.</summary>
public sealed record AppendSessionStatus(long Persisted, StoredObject? Completed)
{
    public bool IsComplete => Completed is not null;
}

/// <summary>
/// Objects written while their bytes are still being produced (a segment FFmpeg is writing): Cloud Storage's resumable
/// upload of unknown size (<c>Content-Range: bytes A-B/*</c>), whose status can be asked (<c>bytes */*</c>) and which
/// is finished either by a last request that gives the total size and the CRC32C of the whole object, or, when the
/// writer is gone, at the bytes the store holds (<c>bytes */N</c>, no body). The embedded backend follows the same
/// protocol. See docs/live-tail.md.
/// </summary>
public interface IAppendSessions
{
    /// <summary>Every append but the last is a multiple of this many bytes (Cloud Storage: 256 KiB).</summary>
    int Quantum { get; }

    /// <summary>Starts a session; nothing exists in the bucket until it finishes. The URI is all that is needed to go on (from any process).</summary>
    Task<Uri> StartAsync(AppendSessionRequest request, CancellationToken cancellationToken);

    /// <summary>
    /// Sends <paramref name="data"/> as the bytes from <paramref name="offset"/> on (its length a multiple of
    /// <see cref="Quantum"/>; bytes already persisted must be the same). Returns how many bytes the store holds
    /// afterwards, which may be fewer than sent (send the rest again). <see cref="ObjectStoreError.NotFound"/> when the
    /// store no longer knows the session (expired, cancelled); <see cref="ObjectStoreError.PreconditionFailed"/> when it
    /// was finished already (by the salvage of a recorder taken for dead).
    /// </summary>
    Task<long> AppendAsync(Uri session, long offset, ReadOnlyMemory<byte> data, CancellationToken cancellationToken);

    /// <summary>How many bytes the store holds for the session, or the object if it finished; NotFound when it no longer knows it.</summary>
    Task<AppendSessionStatus> QueryAsync(Uri session, CancellationToken cancellationToken);

    /// <summary>
    /// Finishes the session with the whole of <paramref name="content"/> (seekable; its length is the object's size):
    /// asks where the session stands, sends the rest, the last request carrying the total size and the CRC32C of the
    /// whole object, which the store checks (<see cref="ObjectStoreError.ChecksumMismatch"/>: nothing is stored). A session
    /// already finished with other bytes (salvaged) is <see cref="ObjectStoreError.PreconditionFailed"/>; one the store
    /// no longer knows is NotFound (then upload the file anew). With <paramref name="held"/> (what the store last confirmed to
    /// the caller, who has sent nothing since) the first attempt goes on from there without asking; should the store hold
    /// otherwise, it answers with a refusal or the object, and the next attempt asks.
    /// </summary>
    Task<StoredObject> FinishAsync(Uri session, Stream content, string crc32C, long? held, CancellationToken cancellationToken);

    /// <summary>
    /// Finishes the session at the bytes the store holds now, with no checksum claim (the writer is gone: a salvage).
    /// Returns the object; a session that already finished returns its object. NotFound when the store no longer knows
    /// it, or holds no byte of it (an empty object is not created).
    /// </summary>
    Task<StoredObject> FinishAsHeldAsync(Uri session, CancellationToken cancellationToken);
}
