using Cctv.Shared.Ports;

namespace Cctv.EdgeRecorder.Tests.Pipeline;

/// <summary>
/// A real store whose uploads stop at a gate: an upload signals <see cref="UploadEntered"/> once it has its bytes' stream,
/// then waits until the test calls <see cref="Release"/>. Lets a test put another step exactly in the middle of an upload.
/// </summary>
internal sealed class GatedObjectStore(IObjectStore inner) : IObjectStore
{
    private readonly TaskCompletionSource _entered = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task UploadEntered => _entered.Task;

    public void Release() => _released.TrySetResult();

    public async Task<StoredObject> UploadAsync(UploadRequest request, Stream content, CancellationToken cancellationToken)
    {
        _entered.TrySetResult();
        await _released.Task.WaitAsync(cancellationToken);
        return await inner.UploadAsync(request, content, cancellationToken);
    }

    public Task<StoredObject?> GetAsync(string bucket, string name, CancellationToken cancellationToken) => inner.GetAsync(bucket, name, cancellationToken);

    public Task<StoredObject> CopyAsync(string sourceBucket, string sourceName, long? ifSourceGenerationMatch, string destinationBucket, string destinationName,
        long? ifGenerationMatch, CancellationToken cancellationToken) =>
        inner.CopyAsync(sourceBucket, sourceName, ifSourceGenerationMatch, destinationBucket, destinationName, ifGenerationMatch, cancellationToken);

    public Task<bool> DeleteAsync(string bucket, string name, long? ifGenerationMatch, CancellationToken cancellationToken) =>
        inner.DeleteAsync(bucket, name, ifGenerationMatch, cancellationToken);

    public IAsyncEnumerable<StoredObject> ListAsync(string bucket, string prefix, CancellationToken cancellationToken) => inner.ListAsync(bucket, prefix, cancellationToken);

    public Task<Stream> OpenReadAsync(string bucket, string name, CancellationToken cancellationToken) => inner.OpenReadAsync(bucket, name, cancellationToken);

    public Task<StoredObject> SetEventBasedHoldAsync(string bucket, string name, bool hold, CancellationToken cancellationToken) =>
        inner.SetEventBasedHoldAsync(bucket, name, hold, cancellationToken);
}
