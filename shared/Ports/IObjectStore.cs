namespace Cctv.Shared.Ports;

/// <summary>An object as the store reports it (the fields of a Cloud Storage object resource we use).</summary>
/// <param name="EventBasedHold">Under an event-based hold: the store refuses to delete or overwrite it until released.</param>
public sealed record StoredObject(
    string Bucket,
    string Name,
    long Generation,
    long Size,
    string Crc32C,
    string? Md5,
    string ContentType,
    IReadOnlyDictionary<string, string> Metadata,
    DateTimeOffset Updated,
    bool EventBasedHold = false);

/// <summary>An upload: where to, what the bytes must hash to, and the precondition.</summary>
/// <param name="IfGenerationMatch">0: create only, never overwrite (what the edge always uses).</param>
/// <param name="ResumeSession">A resumable session an earlier attempt (or an earlier process) started: the upload
/// continues from the offset the store reports for it; a session the store no longer knows is replaced by a new one.</param>
/// <param name="SessionStarted">Called with a new session's URI before its first byte is sent, so that the caller
/// can persist it. Stores without resumable sessions never call it.</param>
public sealed record UploadRequest(
    string Bucket,
    string Name,
    string ContentType,
    string Crc32C,
    string? Md5,
    long? IfGenerationMatch,
    IReadOnlyDictionary<string, string> Metadata,
    Uri? ResumeSession = null,
    Action<Uri>? SessionStarted = null);

/// <summary>Object storage: Cloud Storage in the cloud, a directory per bucket on the embedded backend.</summary>
public interface IObjectStore
{
    /// <summary>The object's metadata, or null when there is no such object.</summary>
    Task<StoredObject?> GetAsync(string bucket, string name, CancellationToken cancellationToken);

    /// <summary>
    /// Stores the bytes of <paramref name="content"/>. Throws <see cref="ObjectStoreException"/> with
    /// <see cref="ObjectStoreError.ChecksumMismatch"/> when they do not hash to the request's CRC32C
    /// (nothing is stored), <see cref="ObjectStoreError.PreconditionFailed"/> when the generation precondition fails.
    /// </summary>
    Task<StoredObject> UploadAsync(UploadRequest request, Stream content, CancellationToken cancellationToken);

    /// <summary>
    /// Copies an object (server side), with generation preconditions on the source (copy only that generation; another
    /// one is <see cref="ObjectStoreError.PreconditionFailed"/>) and on the destination.
    /// </summary>
    Task<StoredObject> CopyAsync(string sourceBucket, string sourceName, long? ifSourceGenerationMatch, string destinationBucket, string destinationName,
        long? ifGenerationMatch, CancellationToken cancellationToken);

    /// <summary>Deletes an object; false when it was not there. With a generation, only that generation.</summary>
    Task<bool> DeleteAsync(string bucket, string name, long? ifGenerationMatch, CancellationToken cancellationToken);

    /// <summary>Every object whose name starts with <paramref name="prefix"/>, in name order.</summary>
    IAsyncEnumerable<StoredObject> ListAsync(string bucket, string prefix, CancellationToken cancellationToken);

    /// <summary>The object's bytes; throws <see cref="ObjectStoreError.NotFound"/> when it is not there.</summary>
    Task<Stream> OpenReadAsync(string bucket, string name, CancellationToken cancellationToken);

    /// <summary>
    /// Places (<paramref name="hold"/> true) or releases an event-based hold on the object, as Cloud Storage's
    /// <c>eventBasedHold</c>: while it holds, a delete or an overwrite of the object is refused (Cloud Storage: 403;
    /// <see cref="ObjectStoreError.Permanent"/>). Setting what is already so changes nothing, so repeating it is safe.
    /// Returns the object as it is afterwards; throws <see cref="ObjectStoreError.NotFound"/> when it is not there.
    /// </summary>
    Task<StoredObject> SetEventBasedHoldAsync(string bucket, string name, bool hold, CancellationToken cancellationToken);
}

public enum ObjectStoreError
{
    NotFound,
    PreconditionFailed,
    ChecksumMismatch,
    /// <summary>Worth retrying: 408, 429, 5xx, a reset connection, a timeout.</summary>
    Transient,
    /// <summary>Retrying will not help: bad credentials, no permission, no such bucket, a bad request.</summary>
    Permanent,
}

public sealed class ObjectStoreException : Exception
{
    public ObjectStoreException(ObjectStoreError error, string message, Exception? inner = null)
        : base(message, inner) => Error = error;

    public ObjectStoreError Error { get; }

    public bool IsTransient => Error == ObjectStoreError.Transient;
}
