using System.Net;
using System.Net.Http.Headers;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using System.Threading.RateLimiting;
using Cctv.Shared.Ports;
using Polly;
using Google;
using Google.Apis.Auth.OAuth2;
using Google.Apis.Auth.OAuth2.Responses;
using Google.Apis.Http;
using Google.Apis.Upload;

namespace Cctv.Shared.Gcp.Storage;

/// <summary>
/// Cloud Storage over its JSON API, on Google.Apis' HTTP stack and credentials. Uploads are resumable: the
/// session URI is handed to the caller before the first byte, chunks are multiples of 256 KiB, the CRC32C (and
/// MD5) travel in the session's metadata so Cloud Storage refuses corrupt bytes, and a later attempt resumes
/// from the offset the status query reports. Errors become <see cref="ObjectStoreException"/>s that say whether
/// a retry can help. Small enough to be replaced by Google.Cloud.Storage.V1 in this one class.
/// </summary>
public sealed class GcsObjectStore : IObjectStore, IDisposable
{
    private static readonly string[] Scopes = ["https://www.googleapis.com/auth/devstorage.read_write"];

    private readonly ConfigurableHttpClient _http;
    private readonly GcsSettings _settings;
    private readonly TokenBucketRateLimiter? _bandwidth;
    private readonly int _bandwidthBite;

    private readonly Polly.ResiliencePipeline _quickRetries;

    private GcsObjectStore(ConfigurableHttpClient http, GcsSettings settings)
    {
        _http = http;
        _settings = settings;
        _quickRetries = settings.TransientRetries == 0
            ? Polly.ResiliencePipeline.Empty
            : new Polly.ResiliencePipelineBuilder()
                .AddRetry(new Polly.Retry.RetryStrategyOptions
                {
                    MaxRetryAttempts = settings.TransientRetries,
                    Delay = settings.TransientRetryDelay,
                    BackoffType = Polly.DelayBackoffType.Exponential,
                    UseJitter = true,
                    ShouldHandle = new Polly.PredicateBuilder().Handle<ObjectStoreException>(e => e.IsTransient),
                })
                .Build();
        if (settings.MaxBytesPerSecond is { } rate)
        {
            int perTick = (int)Math.Clamp(rate / 10, 1, int.MaxValue);
            _bandwidthBite = perTick;
            _bandwidth = new TokenBucketRateLimiter(new TokenBucketRateLimiterOptions
            {
                TokenLimit = perTick,
                TokensPerPeriod = perTick,
                ReplenishmentPeriod = TimeSpan.FromMilliseconds(100),
                QueueLimit = int.MaxValue,
                QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
                AutoReplenishment = true,
            });
        }
    }

    public Uri Endpoint => _settings.Endpoint;

    /// <summary>Builds the store: credentials from the key file, or application default credentials, or none for an emulator.</summary>
    public static async Task<GcsObjectStore> CreateAsync(GcsSettings settings, CancellationToken cancellationToken)
    {
        settings.Validate();
        var args = new CreateHttpClientArgs { ApplicationName = "cctv-serverless", GZipEnabled = false };
        if (!settings.Anonymous)
        {
            args.Initializers.Add(await LoadCredentialAsync(settings.CredentialsPath, cancellationToken));
        }
        ConfigurableHttpClient http = new HttpClientFactory().CreateHttpClient(args);
        http.Timeout = settings.RequestTimeout;
        return new GcsObjectStore(http, settings);
    }

    /// <summary>Loads and scopes the credential, or explains exactly what is missing.</summary>
    public static async Task<GoogleCredential> LoadCredentialAsync(string? credentialsPath, CancellationToken cancellationToken)
    {
        if (credentialsPath is not null)
        {
            if (!File.Exists(credentialsPath))
            {
                throw new GcsCredentialException(
                    $"The credentials file {credentialsPath} does not exist. Set GCP_STORAGE_CREDENTIALS_PATH to a service account key file (JSON), or unset it to use application default credentials.");
            }
            try
            {
                ServiceAccountCredential key = await CredentialFactory.FromFileAsync<ServiceAccountCredential>(credentialsPath, cancellationToken);
                return key.ToGoogleCredential().CreateScoped(Scopes);
            }
            catch (Exception e) when (e is InvalidOperationException or JsonException or Newtonsoft.Json.JsonException or ArgumentException or FormatException)
            {
                throw new GcsCredentialException(
                    $"The credentials file {credentialsPath} is not a service account key ({e.Message}). Download a JSON key for the recorder's service account and point GCP_STORAGE_CREDENTIALS_PATH at it.", e);
            }
        }
        try
        {
            return (await GoogleCredential.GetApplicationDefaultAsync(cancellationToken)).CreateScoped(Scopes);
        }
        catch (InvalidOperationException e)
        {
            throw new GcsCredentialException(
                "No Google credentials were found. Set GCP_STORAGE_CREDENTIALS_PATH to a service account key file, or run 'gcloud auth application-default login', or run on GCP with a service account attached.", e);
        }
    }

    /// <summary>Whether the bucket exists and what time the service says it is (for a clock-skew check).</summary>
    public async Task<(bool Exists, DateTimeOffset? ServerTime)> ProbeBucketAsync(string bucket, CancellationToken cancellationToken)
    {
        using HttpResponseMessage response = await SendAsync(HttpMethod.Get, $"storage/v1/b/{Uri.EscapeDataString(bucket)}", null, cancellationToken);
        DateTimeOffset? serverTime = response.Headers.Date;
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return (false, serverTime);
        }
        await EnsureSuccessAsync(response, $"get bucket gs://{bucket}", cancellationToken);
        return (true, serverTime);
    }

    public async Task<StoredObject?> GetAsync(string bucket, string name, CancellationToken cancellationToken)
    {
        using HttpResponseMessage response = await SendAsync(HttpMethod.Get, ObjectPath(bucket, name), null, cancellationToken);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
        await EnsureSuccessAsync(response, $"get gs://{bucket}/{name}", cancellationToken);
        return (await ReadJsonAsync<GcsObjectResource>(response, cancellationToken)).ToStoredObject();
    }

    public async Task<StoredObject> UploadAsync(UploadRequest request, Stream content, CancellationToken cancellationToken)
    {
        if (!content.CanSeek)
        {
            throw new ArgumentException("Resumable uploads need a seekable stream (a file).", nameof(content));
        }
        // A transient failure is retried here at once, in the same session (a status query says where to go on from);
        // only what keeps failing reaches the caller's retry layers.
        Uri? session = request.ResumeSession;
        void Started(Uri uri)
        {
            session = uri;
            request.SessionStarted?.Invoke(uri);
        }
        bool single = session is null && content.Length <= _settings.SingleRequestMaxBytes;
        return await _quickRetries.ExecuteAsync(async ct =>
        {
            content.Position = 0;
            return single
                ? await UploadInOneRequestAsync(request, content, ct)
                : await UploadOnceAsync(request with { ResumeSession = session, SessionStarted = Started }, content, ct);
        }, cancellationToken);
    }

    /// <summary>A multipart upload: the object's metadata (with its CRC32C and MD5, which Cloud Storage checks) and its bytes in one request.</summary>
    private async Task<StoredObject> UploadInOneRequestAsync(UploadRequest request, Stream content, CancellationToken cancellationToken)
    {
        string path = $"upload/storage/v1/b/{Uri.EscapeDataString(request.Bucket)}/o?uploadType=multipart"
            + (request.IfGenerationMatch is { } g ? $"&ifGenerationMatch={g}" : "");
        HttpContent metadata = MetadataOf(request);
        Stream body = _bandwidth is null ? content : new ThrottledReadStream(content, _bandwidth, _bandwidthBite);
        var media = new StreamContent(new NonDisposingStream(body), 256 * 1024);
        media.Headers.ContentType = new MediaTypeHeaderValue(request.ContentType);
        using var multipart = new MultipartContent("related", "cctv-" + Guid.NewGuid().ToString("N")) { metadata, media };
        using HttpResponseMessage response = await SendAsync(HttpMethod.Post, path, multipart, cancellationToken);
        await EnsureSuccessAsync(response, $"upload to gs://{request.Bucket}/{request.Name}", cancellationToken);
        return Confirmed((await ReadJsonAsync<GcsObjectResource>(response, cancellationToken)).ToStoredObject(), request);
    }

    /// <summary>The object resource that starts an upload: its name, type, checksums (which Cloud Storage checks) and metadata.</summary>
    private static ByteArrayContent MetadataOf(UploadRequest request)
    {
        var content = new ByteArrayContent(JsonSerializer.SerializeToUtf8Bytes(new GcsUploadMetadata
        {
            Name = request.Name,
            ContentType = request.ContentType,
            Crc32C = request.Crc32C,
            Md5Hash = request.Md5,
            Metadata = request.Metadata,
        }));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "UTF-8" };
        return content;
    }

    /// <summary>Cloud Storage checks the CRC32C we send; a store that did not is not trusted with our footage.</summary>
    private static StoredObject Confirmed(StoredObject stored, UploadRequest request) =>
        stored.Crc32C == request.Crc32C
            ? stored
            : throw new ObjectStoreException(ObjectStoreError.ChecksumMismatch,
                $"gs://{request.Bucket}/{request.Name} was stored with CRC32C {stored.Crc32C}, not {request.Crc32C}");

    /// <summary>Lets HttpClient read the caller's stream without closing it (the caller may send it again).</summary>
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

    private async Task<StoredObject> UploadOnceAsync(UploadRequest request, Stream content, CancellationToken cancellationToken)
    {
        Stream body = _bandwidth is null ? content : new ThrottledReadStream(content, _bandwidth, _bandwidthBite);
        if (request.ResumeSession is { } session)
        {
            GcsResumableUpload resumed = NewUpload(request, body);
            IUploadProgress progress = await RunAsync(() => resumed.ResumeAsync(session, cancellationToken), request, cancellationToken);
            if (progress.Status == UploadStatus.Completed)
            {
                return Completed(resumed, request);
            }
            if (!IsDeadSession(progress.Exception))
            {
                throw Classify(progress.Exception, request);
            }
            // The session expired or was never known here: the bytes must go again, in a new session.
            content.Position = 0;
        }

        GcsResumableUpload upload = NewUpload(request, body);
        upload.UploadSessionData += data => request.SessionStarted?.Invoke(data.UploadUri);
        IUploadProgress result = await RunAsync(() => upload.UploadAsync(cancellationToken), request, cancellationToken);
        if (result.Status != UploadStatus.Completed)
        {
            throw Classify(result.Exception, request);
        }
        return Completed(upload, request);
    }

    public async Task<StoredObject> CopyAsync(string sourceBucket, string sourceName, long? ifSourceGenerationMatch, string destinationBucket, string destinationName,
        long? ifGenerationMatch, CancellationToken cancellationToken)
    {
        string what = $"copy gs://{sourceBucket}/{sourceName} to gs://{destinationBucket}/{destinationName}";
        string? token = null;
        while (true)
        {
            var query = new List<string>();
            if (ifGenerationMatch is { } generation)
            {
                query.Add($"ifGenerationMatch={generation}");
            }
            if (ifSourceGenerationMatch is { } sourceGeneration)
            {
                query.Add($"ifSourceGenerationMatch={sourceGeneration}");
            }
            if (token is not null)
            {
                query.Add("rewriteToken=" + Uri.EscapeDataString(token));
            }
            string path = $"{ObjectPath(sourceBucket, sourceName)}/rewriteTo/b/{Uri.EscapeDataString(destinationBucket)}/o/{Uri.EscapeDataString(destinationName)}"
                + (query.Count > 0 ? "?" + string.Join('&', query) : "");
            using HttpResponseMessage response = await SendAsync(HttpMethod.Post, path, new StringContent("{}", Encoding.UTF8, "application/json"), cancellationToken);
            await EnsureSuccessAsync(response, what, cancellationToken);
            GcsRewriteResponse rewrite = await ReadJsonAsync<GcsRewriteResponse>(response, cancellationToken);
            if (rewrite.Done)
            {
                return (rewrite.Resource ?? throw new ObjectStoreException(ObjectStoreError.Transient, $"{what}: the rewrite finished without the object")).ToStoredObject();
            }
            token = rewrite.RewriteToken ?? throw new ObjectStoreException(ObjectStoreError.Transient, $"{what}: an unfinished rewrite gave no token to continue with");
        }
    }

    public async Task<bool> DeleteAsync(string bucket, string name, long? ifGenerationMatch, CancellationToken cancellationToken)
    {
        string path = ObjectPath(bucket, name) + (ifGenerationMatch is { } g ? $"?ifGenerationMatch={g}" : "");
        using HttpResponseMessage response = await SendAsync(HttpMethod.Delete, path, null, cancellationToken);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return false;
        }
        await EnsureSuccessAsync(response, $"delete gs://{bucket}/{name}", cancellationToken);
        return true;
    }

    public async IAsyncEnumerable<StoredObject> ListAsync(string bucket, string prefix, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        string? pageToken = null;
        do
        {
            string path = $"storage/v1/b/{Uri.EscapeDataString(bucket)}/o?prefix={Uri.EscapeDataString(prefix)}&maxResults=1000"
                + (pageToken is null ? "" : "&pageToken=" + Uri.EscapeDataString(pageToken));
            GcsObjectList page;
            using (HttpResponseMessage response = await SendAsync(HttpMethod.Get, path, null, cancellationToken))
            {
                await EnsureSuccessAsync(response, $"list gs://{bucket}/{prefix}", cancellationToken);
                page = await ReadJsonAsync<GcsObjectList>(response, cancellationToken);
            }
            foreach (GcsObjectResource item in page.Items ?? [])
            {
                yield return item.ToStoredObject();
            }
            pageToken = page.NextPageToken;
        }
        while (pageToken is not null);
    }

    public async Task<Stream> OpenReadAsync(string bucket, string name, CancellationToken cancellationToken)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, new Uri(_settings.Endpoint, ObjectPath(bucket, name) + "?alt=media"));
        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        }
        catch (Exception e) when (IsTransportFailure(e, cancellationToken))
        {
            throw new ObjectStoreException(ObjectStoreError.Transient, $"read gs://{bucket}/{name}: {e.Message}", e);
        }
        if (!response.IsSuccessStatusCode)
        {
            using (response)
            {
                await EnsureSuccessAsync(response, $"read gs://{bucket}/{name}", cancellationToken);
            }
        }
        return new ResponseStream(response, await response.Content.ReadAsStreamAsync(cancellationToken));
    }

    public void Dispose()
    {
        _http.Dispose();
        _bandwidth?.Dispose();
    }

    private GcsResumableUpload NewUpload(UploadRequest request, Stream body)
    {
        var options = new ResumableUploadOptions { HttpClient = _http };
        return new GcsResumableUpload(body, options, ct => StartSessionAsync(request, body.Length, ct)) { ChunkSize = _settings.ChunkSize };
    }

    private async Task<Uri> StartSessionAsync(UploadRequest request, long length, CancellationToken cancellationToken)
    {
        string path = $"upload/storage/v1/b/{Uri.EscapeDataString(request.Bucket)}/o?uploadType=resumable&name={Uri.EscapeDataString(request.Name)}"
            + (request.IfGenerationMatch is { } g ? $"&ifGenerationMatch={g}" : "");
        using var message = new HttpRequestMessage(HttpMethod.Post, new Uri(_settings.Endpoint, path)) { Content = MetadataOf(request) };
        message.Headers.Add("X-Upload-Content-Type", request.ContentType);
        message.Headers.Add("X-Upload-Content-Length", length.ToString(System.Globalization.CultureInfo.InvariantCulture));
        using HttpResponseMessage response = await _http.SendAsync(message, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw await ErrorAsync(response, $"start an upload to gs://{request.Bucket}/{request.Name}", cancellationToken);
        }
        return response.Headers.Location
            ?? throw new ObjectStoreException(ObjectStoreError.Transient, $"start an upload to gs://{request.Bucket}/{request.Name}: no session URI in the answer");
    }

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
                $"upload to gs://{request.Bucket}/{request.Name}: a request took longer than {_settings.RequestTimeout.TotalSeconds:0} s", e);
        }
    }

    private static StoredObject Completed(GcsResumableUpload upload, UploadRequest request)
    {
        if (string.IsNullOrEmpty(upload.FinalResponseBody))
        {
            throw new ObjectStoreException(ObjectStoreError.Transient, $"upload to gs://{request.Bucket}/{request.Name}: finished without the object's metadata");
        }
        return Confirmed((JsonSerializer.Deserialize<GcsObjectResource>(upload.FinalResponseBody)
            ?? throw new ObjectStoreException(ObjectStoreError.Transient, "empty object resource")).ToStoredObject(), request);
    }

    private static bool IsDeadSession(Exception? e) =>
        e is GoogleApiException { HttpStatusCode: HttpStatusCode.NotFound or HttpStatusCode.Gone };

    private ObjectStoreException Classify(Exception? e, UploadRequest request)
    {
        string what = $"upload to gs://{request.Bucket}/{request.Name}";
        return e switch
        {
            null => new ObjectStoreException(ObjectStoreError.Transient, $"{what}: failed without a reason"),
            ObjectStoreException store => store,
            GoogleApiException api => FromStatus(api.HttpStatusCode, api.Error?.Message ?? api.Message, what, api),
            TokenResponseException token => CredentialsRefused(what, token),
            _ when IsTransportFailure(e, CancellationToken.None) => new ObjectStoreException(ObjectStoreError.Transient, $"{what}: {e.Message}", e),
            _ => new ObjectStoreException(ObjectStoreError.Transient, $"{what}: {e.GetType().Name}: {e.Message}", e),
        };
    }

    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, HttpContent? content, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, new Uri(_settings.Endpoint, path)) { Content = content };
        try
        {
            return await _http.SendAsync(request, cancellationToken);
        }
        catch (TokenResponseException e)
        {
            throw CredentialsRefused($"{method} {path}", e);
        }
        catch (Exception e) when (IsTransportFailure(e, cancellationToken))
        {
            throw new ObjectStoreException(ObjectStoreError.Transient, $"{method} {path}: {e.Message}", e);
        }
    }

    private static bool IsTransportFailure(Exception e, CancellationToken cancellationToken) =>
        e is HttpRequestException or IOException || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested);

    private static async Task EnsureSuccessAsync(HttpResponseMessage response, string what, CancellationToken cancellationToken)
    {
        if (!response.IsSuccessStatusCode)
        {
            throw await ErrorAsync(response, what, cancellationToken);
        }
    }

    private static async Task<ObjectStoreException> ErrorAsync(HttpResponseMessage response, string what, CancellationToken cancellationToken)
    {
        string body = await response.Content.ReadAsStringAsync(cancellationToken);
        string message = body;
        try
        {
            using JsonDocument doc = JsonDocument.Parse(body);
            if (doc.RootElement.TryGetProperty("error", out JsonElement error) && error.TryGetProperty("message", out JsonElement m))
            {
                message = m.GetString() ?? body;
            }
        }
        catch (JsonException)
        {
        }
        return FromStatus(response.StatusCode, message.Length > 500 ? message[..500] : message, what, null);
    }

    private static ObjectStoreException FromStatus(HttpStatusCode status, string message, string what, Exception? inner)
    {
        int code = (int)status;
        return code switch
        {
            404 => new ObjectStoreException(ObjectStoreError.NotFound, $"{what}: not found ({message})", inner),
            412 => new ObjectStoreException(ObjectStoreError.PreconditionFailed, $"{what}: precondition failed ({message})", inner),
            400 when message.Contains("crc32c", StringComparison.OrdinalIgnoreCase) || message.Contains("md5", StringComparison.OrdinalIgnoreCase)
                || message.Contains("checksum", StringComparison.OrdinalIgnoreCase) || message.Contains("hash", StringComparison.OrdinalIgnoreCase)
                => new ObjectStoreException(ObjectStoreError.ChecksumMismatch, $"{what}: Cloud Storage refused the bytes ({message})", inner),
            401 => new ObjectStoreException(ObjectStoreError.Permanent,
                $"{what}: the credentials were refused (401: {message}). Check GCP_STORAGE_CREDENTIALS_PATH (a valid service account key) or the application default credentials.", inner),
            403 => new ObjectStoreException(ObjectStoreError.Permanent,
                $"{what}: permission denied (403: {message}). Grant the recorder's service account roles/storage.objectCreator on the bucket (and objectViewer to confirm uploads).", inner),
            408 or 429 or >= 500 => new ObjectStoreException(ObjectStoreError.Transient, $"{what}: {code} {message}", inner),
            _ => new ObjectStoreException(ObjectStoreError.Permanent, $"{what}: {code} {message}", inner),
        };
    }

    private static ObjectStoreException CredentialsRefused(string what, TokenResponseException e) =>
        new(ObjectStoreError.Permanent,
            $"{what}: Google refused the credentials ({e.Error?.Error}: {e.Error?.ErrorDescription}). Check that GCP_STORAGE_CREDENTIALS_PATH names a current key of an enabled service account.", e);

    private static string ObjectPath(string bucket, string name) => $"storage/v1/b/{Uri.EscapeDataString(bucket)}/o/{Uri.EscapeDataString(name)}";

    private static async Task<T> ReadJsonAsync<T>(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        await using Stream stream = await response.Content.ReadAsStreamAsync(cancellationToken);
        return await JsonSerializer.DeserializeAsync<T>(stream, cancellationToken: cancellationToken)
            ?? throw new ObjectStoreException(ObjectStoreError.Transient, $"an empty {typeof(T).Name} from Cloud Storage");
    }

    /// <summary>A download's stream that also disposes its response.</summary>
    private sealed class ResponseStream(HttpResponseMessage response, Stream inner) : Stream
    {
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => inner.Length;
        public override long Position { get => inner.Position; set => throw new NotSupportedException(); }
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
                inner.Dispose();
                response.Dispose();
            }
            base.Dispose(disposing);
        }
    }
}

/// <summary>The credentials are missing or unusable; the message says what to do.</summary>
public sealed class GcsCredentialException(string message, Exception? inner = null) : Exception(message, inner);
