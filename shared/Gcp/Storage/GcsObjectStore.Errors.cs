using System.Net;
using System.Text.Json;
using Cctv.Shared.Ports;
using Polly;
using Google;
using Google.Apis.Auth.OAuth2.Responses;

namespace Cctv.Shared.Gcp.Storage;

/// <summary>
/// Errors: whatever the client or a plain request throws becomes an <see cref="ObjectStoreException"/> that says whether
/// a retry can help and, for credentials and permissions, what to fix. Also the quick retries and the plain requests
/// that stay (a single-request upload, the bucket probe) on the client's authenticated HTTP client.
/// </summary>
public sealed partial class GcsObjectStore
{
    private static Polly.ResiliencePipeline QuickRetries(GcsSettings settings) => settings.TransientRetries == 0
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

    /// <summary>A failure of a client call that is ours to classify: not already classified, not the caller's own cancellation.</summary>
    private static bool IsClientFailure(Exception e, CancellationToken cancellationToken) =>
        e is not ObjectStoreException && !(e is OperationCanceledException && cancellationToken.IsCancellationRequested);

    private static ObjectStoreException Classify(Exception? e, string what) => e switch
    {
        null => new ObjectStoreException(ObjectStoreError.Transient, $"{what}: failed without a reason"),
        ObjectStoreException store => store,
        GoogleApiException api => FromStatus(api.HttpStatusCode, api.Error?.Message ?? api.Message, what, api),
        TokenResponseException token => CredentialsRefused(what, token),
        // A reset, a refused connection, a request that took longer than the timeout (the client's cancellation).
        HttpRequestException or IOException or OperationCanceledException => new ObjectStoreException(ObjectStoreError.Transient, $"{what}: {e.Message}", e),
        _ => new ObjectStoreException(ObjectStoreError.Transient, $"{what}: {e.GetType().Name}: {e.Message}", e),
    };

    private async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, string what, HttpCompletionOption completion, CancellationToken cancellationToken)
    {
        try
        {
            return await Http.SendAsync(request, completion, cancellationToken);
        }
        catch (Exception e) when (IsClientFailure(e, cancellationToken))
        {
            throw Classify(e, what);
        }
    }

    private static async Task EnsureSuccessAsync(HttpResponseMessage response, string what, CancellationToken cancellationToken)
    {
        if (response.IsSuccessStatusCode)
        {
            return;
        }
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
        throw FromStatus(response.StatusCode, message.Length > 500 ? message[..500] : message, what, null);
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
}
