using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Cctv.Shared.Ports;
using Google;
using Google.Apis.Upload;
using Google.Cloud.Storage.V1;
using Object = Google.Apis.Storage.v1.Data.Object;
using ObjectsUpload = Google.Apis.Storage.v1.ObjectsResource.InsertMediaUpload;

namespace Cctv.Shared.Gcp.Storage;

/// <summary>
/// Uploads. Resumable ones go through <see cref="StorageClient.CreateObjectUploader(Object, Stream, UploadObjectOptions)"/>:
/// the client starts the session (the object resource with our CRC32C and MD5, which Cloud Storage checks, and the
/// generation precondition), sends 256 KiB-multiple chunks, and on <c>ResumeAsync(uri)</c> asks the session where it
/// stands and goes on from the offset the server reports. What the client does not do stays here, marked "Ours:".
/// </summary>
public sealed partial class GcsObjectStore
{
    public async Task<StoredObject> UploadAsync(UploadRequest request, Stream content, CancellationToken cancellationToken)
    {
        if (!content.CanSeek)
        {
            throw new ArgumentException("Resumable uploads need a seekable stream (a file).", nameof(content));
        }
        // Ours: a transient failure (the session start included) is retried here at once, in the same session once there
        // is one; only what keeps failing reaches the caller's slower retry layers. The client retries a chunk's 5xx by
        // itself but gives up on the rest (a reset, a timeout, a failed session start).
        Uri? session = request.ResumeSession;
        void Started(Uri uri)
        {
            // The caller stores the session first; only a stored session is resumed by a quick retry. If storing it
            // failed, the retry starts another one rather than sending bytes into a session nobody knows of.
            request.SessionStarted?.Invoke(uri);
            session = uri;
        }
        bool single = session is null && content.Length <= _settings.SingleRequestMaxBytes;
        return await _quickRetries.ExecuteAsync(async ct =>
        {
            content.Position = 0;
            return single
                ? await UploadInOneRequestAsync(request, content, ct)
                : await UploadResumableAsync(request with { ResumeSession = session, SessionStarted = Started }, content, ct);
        }, cancellationToken);
    }

    private async Task<StoredObject> UploadResumableAsync(UploadRequest request, Stream content, CancellationToken cancellationToken)
    {
        // Ours: the bandwidth cap, one token bucket shared by every upload of this store.
        Stream body = _bandwidth is null ? content : new ThrottledReadStream(content, _bandwidth);
        if (request.ResumeSession is { } session)
        {
            ObjectsUpload resumed = Uploader(request, body);
            IUploadProgress progress = await RunAsync(() => resumed.ResumeAsync(session, cancellationToken), request, cancellationToken);
            if (progress.Status == UploadStatus.Completed)
            {
                return Completed(resumed, request);
            }
            if (!IsDeadSession(progress.Exception))
            {
                throw Classify(progress.Exception, UploadWhat(request));
            }
            // Ours: a session that answers 404/410 (expired, or never known here) is replaced by a new one; the client
            // would only report the failure. The bytes go again from the start.
            content.Position = 0;
        }

        ObjectsUpload upload = Uploader(request, body);
        // The client raises this after the session starts and before the first byte: the caller stores the URI first.
        upload.UploadSessionData += data => request.SessionStarted?.Invoke(data.UploadUri);
        IUploadProgress result = await RunAsync(() => upload.UploadAsync(cancellationToken), request, cancellationToken);
        if (result.Status != UploadStatus.Completed)
        {
            throw Classify(result.Exception, UploadWhat(request));
        }
        return Completed(upload, request);
    }

    private ObjectsUpload Uploader(UploadRequest request, Stream body) => _client.CreateObjectUploader(
        new Object
        {
            Bucket = request.Bucket,
            Name = request.Name,
            ContentType = request.ContentType,
            Crc32c = request.Crc32C,
            Md5Hash = request.Md5,
            Metadata = request.Metadata.ToDictionary(),
        },
        body,
        new UploadObjectOptions
        {
            IfGenerationMatch = request.IfGenerationMatch,
            ChunkSize = _settings.ChunkSize,
            // The client's own hash check throws on a resume from a non-zero offset (it needs every byte to pass through
            // it) and does not catch a server that reports a wrong CRC32C; Cloud Storage checks the CRC32C we put in the
            // session's metadata, and Confirmed checks what it reports.
            UploadValidationMode = UploadValidationMode.None,
        });

    /// <summary>
    /// Ours: a multipart upload (metadata with the CRC32C and MD5, which Cloud Storage checks, and the bytes) in one
    /// request. The client has none: its uploads always start a resumable session, two requests at least.
    /// </summary>
    private async Task<StoredObject> UploadInOneRequestAsync(UploadRequest request, Stream content, CancellationToken cancellationToken)
    {
        string what = UploadWhat(request);
        string path = $"upload/storage/v1/b/{Uri.EscapeDataString(request.Bucket)}/o?uploadType=multipart"
            + (request.IfGenerationMatch is { } g ? $"&ifGenerationMatch={g}" : "");
        var metadata = new ByteArrayContent(JsonSerializer.SerializeToUtf8Bytes(new GcsUploadMetadata
        {
            Name = request.Name,
            ContentType = request.ContentType,
            Crc32C = request.Crc32C,
            Md5Hash = request.Md5,
            Metadata = request.Metadata,
        }));
        metadata.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "UTF-8" };
        Stream body = _bandwidth is null ? content : new ThrottledReadStream(content, _bandwidth);
        var media = new StreamContent(new NonDisposingStream(body), 256 * 1024);
        // Parsed, not constructed: a type with parameters ("text/plain; charset=utf-8", the evidence manifests') is valid.
        media.Headers.ContentType = MediaTypeHeaderValue.TryParse(request.ContentType, out MediaTypeHeaderValue? type)
            ? type
            : throw new ObjectStoreException(ObjectStoreError.Permanent, $"{what}: '{request.ContentType}' is not a media type");
        using var multipart = new MultipartContent("related", "cctv-" + Guid.NewGuid().ToString("N")) { metadata, media };
        using var message = new HttpRequestMessage(HttpMethod.Post, new Uri(_root, path)) { Content = multipart };
        using HttpResponseMessage response = await SendAsync(message, what, HttpCompletionOption.ResponseContentRead, cancellationToken);
        await EnsureSuccessAsync(response, what, cancellationToken);
        await using Stream json = await response.Content.ReadAsStreamAsync(cancellationToken);
        GcsObjectResource stored = await JsonSerializer.DeserializeAsync<GcsObjectResource>(json, cancellationToken: cancellationToken)
            ?? throw new ObjectStoreException(ObjectStoreError.Transient, $"{what}: an empty object resource");
        return Confirmed(stored.ToStoredObject(), request);
    }

    /// <summary>
    /// Ours: the CRC32C Cloud Storage reports for the stored object must be the one we computed. It checks what we send,
    /// and a store that reported another value is not trusted with our footage (the client's validation does not look).
    /// </summary>
    private static StoredObject Confirmed(StoredObject stored, UploadRequest request) =>
        stored.Crc32C == request.Crc32C
            ? stored
            : throw new ObjectStoreException(ObjectStoreError.ChecksumMismatch,
                $"gs://{request.Bucket}/{request.Name} was stored with CRC32C {stored.Crc32C}, not {request.Crc32C}");

    private static StoredObject Completed(ObjectsUpload upload, UploadRequest request) =>
        Confirmed(ToStoredObject(upload.ResponseBody
            ?? throw new ObjectStoreException(ObjectStoreError.Transient, $"{UploadWhat(request)}: finished without the object's metadata")), request);

    /// <summary>Runs an upload step; Google.Apis rethrows a timed-out request as a cancellation, which here is a transient failure.</summary>
    private async Task<IUploadProgress> RunAsync(Func<Task<IUploadProgress>> step, UploadRequest request, CancellationToken cancellationToken)
    {
        try
        {
            return await step();
        }
        catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw new ObjectStoreException(ObjectStoreError.Transient,
                $"{UploadWhat(request)}: a request took longer than {_settings.RequestTimeout.TotalSeconds:0} s", e);
        }
    }

    private static bool IsDeadSession(Exception? e) =>
        e is GoogleApiException { HttpStatusCode: HttpStatusCode.NotFound or HttpStatusCode.Gone };

    private static string UploadWhat(UploadRequest request) => $"upload to gs://{request.Bucket}/{request.Name}";

    /// <summary>Lets HttpClient read the caller's stream without closing it (a quick retry sends it again).</summary>
    private sealed class NonDisposingStream(Stream inner) : Stream
    {
        public override bool CanRead => true;
        public override bool CanSeek => inner.CanSeek;
        public override bool CanWrite => false;
        public override long Length => inner.Length;
        public override long Position { get => inner.Position; set => inner.Position = value; }
        public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => inner.ReadAsync(buffer, cancellationToken);
        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => inner.ReadAsync(buffer, offset, count, cancellationToken);
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => inner.Seek(offset, origin);
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
