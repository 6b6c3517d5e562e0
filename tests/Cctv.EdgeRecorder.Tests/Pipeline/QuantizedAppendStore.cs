using System.Collections.Concurrent;
using Cctv.Shared.Local;
using Cctv.Shared.Ports;

namespace Cctv.EdgeRecorder.Tests.Pipeline;

/// <summary>
/// The real embedded store with Cloud Storage's rule for appends: every append but the last is a whole multiple of
/// <see cref="Quantum"/> (the embedded store takes any size), and a record of every request the recorder made, so a
/// test sees which bytes went when. <see cref="UplinkDown"/> makes appends fail as a dead uplink does (transient).
/// </summary>
internal sealed class QuantizedAppendStore(LocalObjectStore inner, int quantum) : IObjectStore, IAppendSessions
{
    public sealed record Append(Uri Session, long Offset, int Length);

    public ConcurrentQueue<Append> Appends { get; } = new();
    /// <summary>Per finish, the byte count its caller said the session holds (null: unknown, ask); the embedded store reads its own.</summary>
    public ConcurrentQueue<long?> FinishedFrom { get; } = new();
    public int Starts;
    public int Finishes;
    public int Queries;
    public int Uploads;
    public volatile bool UplinkDown;
    /// <summary>How long each append takes before it reaches the store, as an uplink's round trip does; zero: at once.</summary>
    public TimeSpan AppendTime = TimeSpan.Zero;
    private int _inFlight;
    private int _mostInFlight;

    /// <summary>The most appends that were in flight at one time.</summary>
    public int MostInFlight => Volatile.Read(ref _mostInFlight);

    public int Quantum => quantum;

    public LocalObjectStore Inner => inner;

    public Task<Uri> StartAsync(AppendSessionRequest request, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref Starts);
        return inner.StartAsync(request, cancellationToken);
    }

    public async Task<long> AppendAsync(Uri session, long offset, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        int inFlight = Interlocked.Increment(ref _inFlight);
        try
        {
            for (int most = MostInFlight; inFlight > most; most = MostInFlight)
            {
                Interlocked.CompareExchange(ref _mostInFlight, inFlight, most);
            }
            if (AppendTime > TimeSpan.Zero)
            {
                await Task.Delay(AppendTime, cancellationToken);
            }
            return await AppendNowAsync(session, offset, data, cancellationToken);
        }
        finally
        {
            Interlocked.Decrement(ref _inFlight);
        }
    }

    private Task<long> AppendNowAsync(Uri session, long offset, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        if (UplinkDown)
        {
            throw new ObjectStoreException(ObjectStoreError.Transient, "the uplink is down (test)");
        }
        if (data.Length % quantum != 0)
        {
            throw new ObjectStoreException(ObjectStoreError.Permanent, $"an append of {data.Length} bytes is no multiple of {quantum}");
        }
        Appends.Enqueue(new Append(session, offset, data.Length));
        return inner.AppendAsync(session, offset, data, cancellationToken);
    }

    public Task<AppendSessionStatus> QueryAsync(Uri session, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref Queries);
        return inner.QueryAsync(session, cancellationToken);
    }

    public Task<StoredObject> FinishAsync(Uri session, Stream content, string crc32C, long? held, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref Finishes);
        FinishedFrom.Enqueue(held);
        return inner.FinishAsync(session, content, crc32C, held, cancellationToken);
    }

    public Task<StoredObject> FinishAsHeldAsync(Uri session, CancellationToken cancellationToken) => inner.FinishAsHeldAsync(session, cancellationToken);

    public Task<StoredObject> UploadAsync(UploadRequest request, Stream content, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref Uploads);
        return inner.UploadAsync(request, content, cancellationToken);
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
