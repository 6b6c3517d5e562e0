using Cctv.Functions.Retry;
using Cctv.Shared.Ports;

namespace Cctv.Functions.Tests.Gcp;

/// <summary>A store that passes everything through, but fails copies (server-side rewrites) as a test decides.</summary>
public sealed class FlakyObjectStore(IObjectStore inner) : IObjectStore
{
    private int _transientCopyFailures;

    /// <summary>The next this many copies fail with a transient error (as a 503 from Cloud Storage would).</summary>
    public int TransientCopyFailures
    {
        get => Volatile.Read(ref _transientCopyFailures);
        set => Volatile.Write(ref _transientCopyFailures, value);
    }

    public Task<StoredObject?> GetAsync(string bucket, string name, CancellationToken cancellationToken) => inner.GetAsync(bucket, name, cancellationToken);

    public Task<StoredObject> UploadAsync(UploadRequest request, Stream content, CancellationToken cancellationToken) => inner.UploadAsync(request, content, cancellationToken);

    public Task<StoredObject> CopyAsync(string sourceBucket, string sourceName, long? ifSourceGenerationMatch, string destinationBucket, string destinationName,
        long? ifGenerationMatch, CancellationToken cancellationToken)
    {
        if (Interlocked.Decrement(ref _transientCopyFailures) >= 0)
        {
            throw new ObjectStoreException(ObjectStoreError.Transient, $"copy gs://{sourceBucket}/{sourceName}: 503 backendError (injected)");
        }
        Interlocked.Exchange(ref _transientCopyFailures, 0);
        return inner.CopyAsync(sourceBucket, sourceName, ifSourceGenerationMatch, destinationBucket, destinationName, ifGenerationMatch, cancellationToken);
    }

    public Task<bool> DeleteAsync(string bucket, string name, long? ifGenerationMatch, CancellationToken cancellationToken) =>
        inner.DeleteAsync(bucket, name, ifGenerationMatch, cancellationToken);

    public IAsyncEnumerable<StoredObject> ListAsync(string bucket, string prefix, CancellationToken cancellationToken) => inner.ListAsync(bucket, prefix, cancellationToken);

    public Task<Stream> OpenReadAsync(string bucket, string name, CancellationToken cancellationToken) => inner.OpenReadAsync(bucket, name, cancellationToken);

    public Task<StoredObject> SetEventBasedHoldAsync(string bucket, string name, bool hold, CancellationToken cancellationToken) =>
        inner.SetEventBasedHoldAsync(bucket, name, hold, cancellationToken);
}

/// <summary>A retry queue that keeps what it was given, or fails as Pub/Sub being down would.</summary>
public sealed class RecordingRetryQueue : IRetryQueue
{
    private int _next;

    public List<RetryMessage> Messages { get; } = [];

    public bool Unavailable { get; set; }

    public Task<string> EnqueueAsync(RetryMessage message, CancellationToken cancellationToken)
    {
        if (Unavailable)
        {
            throw new Cctv.Shared.Gcp.GcpTransientException("Pub/Sub answered 503 UNAVAILABLE to a publish (injected)");
        }
        lock (Messages)
        {
            Messages.Add(message);
        }
        return Task.FromResult("m" + Interlocked.Increment(ref _next).ToString(System.Globalization.CultureInfo.InvariantCulture));
    }
}
