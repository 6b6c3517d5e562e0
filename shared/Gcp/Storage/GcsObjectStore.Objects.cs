using System.IO.Pipelines;
using System.Net;
using System.Runtime.CompilerServices;
using Cctv.Shared.Ports;
using Google;
using Google.Cloud.Storage.V1;
using Object = Google.Apis.Storage.v1.Data.Object;

namespace Cctv.Shared.Gcp.Storage;

/// <summary>
/// Object operations through the client: get, list, copy (a rewrite, continued until done), delete and read, with
/// generation preconditions. The client's own retries are off (<see cref="RetryOptions.Never"/>): a failure is
/// classified once and the caller's retry layers decide, as for every other adapter.
/// </summary>
public sealed partial class GcsObjectStore
{
    public async Task<StoredObject?> GetAsync(string bucket, string name, CancellationToken cancellationToken)
    {
        try
        {
            Object found = await _client.GetObjectAsync(bucket, name, new GetObjectOptions { RetryOptions = RetryOptions.Never }, cancellationToken);
            return ToStoredObject(found);
        }
        catch (GoogleApiException e) when (e.HttpStatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
        catch (Exception e) when (IsClientFailure(e, cancellationToken))
        {
            throw Classify(e, $"get gs://{bucket}/{name}");
        }
    }

    public async Task<StoredObject> CopyAsync(string sourceBucket, string sourceName, long? ifSourceGenerationMatch, string destinationBucket, string destinationName,
        long? ifGenerationMatch, CancellationToken cancellationToken)
    {
        var options = new CopyObjectOptions
        {
            IfGenerationMatch = ifGenerationMatch,
            IfSourceGenerationMatch = ifSourceGenerationMatch,
            RetryOptions = RetryOptions.Never,
        };
        try
        {
            return ToStoredObject(await _client.CopyObjectAsync(sourceBucket, sourceName, destinationBucket, destinationName, options, cancellationToken));
        }
        catch (Exception e) when (IsClientFailure(e, cancellationToken))
        {
            throw Classify(e, $"copy gs://{sourceBucket}/{sourceName} to gs://{destinationBucket}/{destinationName}");
        }
    }

    public async Task<bool> DeleteAsync(string bucket, string name, long? ifGenerationMatch, CancellationToken cancellationToken)
    {
        try
        {
            await _client.DeleteObjectAsync(bucket, name, new DeleteObjectOptions { IfGenerationMatch = ifGenerationMatch, RetryOptions = RetryOptions.Never }, cancellationToken);
            return true;
        }
        catch (GoogleApiException e) when (e.HttpStatusCode == HttpStatusCode.NotFound)
        {
            return false;
        }
        catch (Exception e) when (IsClientFailure(e, cancellationToken))
        {
            throw Classify(e, $"delete gs://{bucket}/{name}");
        }
    }

    /// <summary>objects.patch with only <c>eventBasedHold</c> (PATCH merges, so nothing else of the object changes).</summary>
    public async Task<StoredObject> SetEventBasedHoldAsync(string bucket, string name, bool hold, CancellationToken cancellationToken)
    {
        try
        {
            Object patched = await _client.PatchObjectAsync(new Object { Bucket = bucket, Name = name, EventBasedHold = hold },
                new PatchObjectOptions { RetryOptions = RetryOptions.Never }, cancellationToken);
            return ToStoredObject(patched);
        }
        catch (GoogleApiException e) when (e.HttpStatusCode == HttpStatusCode.NotFound)
        {
            throw new ObjectStoreException(ObjectStoreError.NotFound, $"gs://{bucket}/{name} does not exist: no hold can be {(hold ? "placed" : "released")}", e);
        }
        catch (Exception e) when (IsClientFailure(e, cancellationToken))
        {
            throw Classify(e, $"{(hold ? "place" : "release")} the event-based hold of gs://{bucket}/{name}");
        }
    }

    public async IAsyncEnumerable<StoredObject> ListAsync(string bucket, string prefix, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var options = new ListObjectsOptions { PageSize = 1000, RetryOptions = RetryOptions.Never };
        await using IAsyncEnumerator<Object> items = _client.ListObjectsAsync(bucket, prefix, options).GetAsyncEnumerator(cancellationToken);
        while (true)
        {
            try
            {
                if (!await items.MoveNextAsync())
                {
                    yield break;
                }
            }
            catch (Exception e) when (IsClientFailure(e, cancellationToken))
            {
                throw Classify(e, $"list gs://{bucket}/{prefix}");
            }
            yield return ToStoredObject(items.Current);
        }
    }

    /// <summary>
    /// The object's bytes, streamed from the client's download (which checks them against the object's CRC32C at the
    /// end) through a pipe. It waits for the first bytes, so that a missing object fails here rather than on a read.
    /// </summary>
    public async Task<Stream> OpenReadAsync(string bucket, string name, CancellationToken cancellationToken)
    {
        var pipe = new Pipe();
        var download = new CancellationTokenSource();
        Task downloading = DownloadIntoAsync(bucket, name, pipe.Writer, download.Token);
        try
        {
            ReadResult first = await pipe.Reader.ReadAsync(cancellationToken);
            pipe.Reader.AdvanceTo(first.Buffer.Start);
        }
        catch
        {
            await download.CancelAsync();
            await pipe.Reader.CompleteAsync();
            await downloading;
            download.Dispose();
            throw;
        }
        return new DownloadStream(pipe.Reader.AsStream(), download, downloading);
    }

    private async Task DownloadIntoAsync(string bucket, string name, PipeWriter writer, CancellationToken cancellationToken)
    {
        try
        {
            await using (Stream sink = writer.AsStream(leaveOpen: true))
            {
                await _client.DownloadObjectAsync(bucket, name, sink, new DownloadObjectOptions(), cancellationToken);
            }
            await writer.CompleteAsync();
        }
        catch (Exception e)
        {
            await writer.CompleteAsync(e is ObjectStoreException or OperationCanceledException ? e : Classify(e, $"read gs://{bucket}/{name}"));
        }
    }

    private static StoredObject ToStoredObject(Object o) => new(
        o.Bucket ?? throw Malformed("bucket"),
        o.Name ?? throw Malformed("name"),
        o.Generation ?? throw Malformed("generation"),
        (long)(o.Size ?? 0),
        o.Crc32c ?? throw Malformed("crc32c"),
        o.Md5Hash,
        o.ContentType ?? "application/octet-stream",
        o.Metadata is null ? new Dictionary<string, string>() : new Dictionary<string, string>(o.Metadata),
        o.UpdatedDateTimeOffset ?? DateTimeOffset.MinValue,
        o.EventBasedHold ?? false);

    private static ObjectStoreException Malformed(string field) =>
        new(ObjectStoreError.Transient, $"Cloud Storage answered with an object resource that has no '{field}'");

    /// <summary>A download's stream; disposing it stops the download behind it.</summary>
    private sealed class DownloadStream(Stream inner, CancellationTokenSource download, Task downloading) : Stream
    {
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => inner.ReadAsync(buffer, cancellationToken);
        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => inner.ReadAsync(buffer, offset, count, cancellationToken);
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                download.Cancel();
                inner.Dispose();
                // The download ends on its own once cancelled (it never throws: its failure goes into the pipe).
                downloading.ContinueWith(_ => download.Dispose(), TaskScheduler.Default);
            }
            base.Dispose(disposing);
        }
    }
}
