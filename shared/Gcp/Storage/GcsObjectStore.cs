using System.Net;
using System.Text.Json;
using Cctv.Shared.Ports;
using Google.Api.Gax;
using Google.Apis.Auth.OAuth2;
using Google.Apis.Http;
using Google.Cloud.Storage.V1;

namespace Cctv.Shared.Gcp.Storage;

/// <summary>
/// Cloud Storage through Google's own client (<see cref="StorageClient"/>, Google.Cloud.Storage.V1): resumable uploads,
/// get, list, rewrite and delete with generation preconditions, and reads. What the client does not do is ours, each
/// where it stays (see the uploads file): the session handed to the caller before the first byte, a new session for
/// one that is gone, quick retries, the bandwidth cap, the CRC32C of the stored object checked against ours,
/// single-request uploads of small objects, and the server's clock for a skew check. Split by operation:
/// uploads (<c>GcsObjectStore.Uploads.cs</c>), append sessions (<c>.Sessions.cs</c>), objects (<c>.Objects.cs</c>) and errors (<c>.Errors.cs</c>).
/// </summary>
public sealed partial class GcsObjectStore : IObjectStore, IAppendSessions, IDisposable
{
    private static readonly string[] Scopes = ["https://www.googleapis.com/auth/devstorage.read_write"];

    private readonly StorageClient _client;
    private readonly GcsSettings _settings;
    private readonly Uri _root;
    private readonly UplinkBudget? _bandwidth;
    private readonly Polly.ResiliencePipeline _quickRetries;

    private GcsObjectStore(StorageClient client, GcsSettings settings)
    {
        _client = client;
        _settings = settings;
        _root = RootOf(client.Service.BaseUri);
        _quickRetries = QuickRetries(settings);
        if (settings.MaxBytesPerSecond is { } rate)
        {
            // Ours: the cap, shared by every request of the store; live appends before ordinary uploads.
            _bandwidth = new UplinkBudget(rate, TimeProvider.System);
        }
    }

    /// <summary>The service root the store talks to (<c>storage/v1/...</c> and <c>upload/storage/v1/...</c> go after it).</summary>
    public Uri Endpoint => _root;

    /// <summary>
    /// Builds the store: credentials from the key file, or application default credentials, or none for an emulator or a
    /// test server. <c>STORAGE_EMULATOR_HOST</c>, when set, wins over the endpoint and drops credentials, as Google's
    /// clients read it (<see cref="EmulatorDetection.EmulatorOrProduction"/>).
    /// </summary>
    public static async Task<GcsObjectStore> CreateAsync(GcsSettings settings, CancellationToken cancellationToken)
    {
        settings.Validate();
        bool emulator = !string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable(GcsSettings.EmulatorHostVariable));
        var builder = new StorageClientBuilder
        {
            BaseUri = new Uri(settings.Endpoint, "storage/v1/").ToString(),
            ApplicationName = "cctv-serverless",
            EmulatorDetection = EmulatorDetection.EmulatorOrProduction,
        };
        if (settings.Anonymous || emulator)
        {
            builder.UnauthenticatedAccess = true;
        }
        else
        {
            builder.GoogleCredential = await LoadCredentialAsync(settings.CredentialsPath, cancellationToken);
        }
        StorageClient client = await builder.BuildAsync(cancellationToken);
        client.Service.HttpClient.Timeout = settings.RequestTimeout;
        return new GcsObjectStore(client, settings);
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

    /// <summary>
    /// Whether the bucket exists and what time the service says it is (for a clock-skew check). Kept on a plain request
    /// over the client's authenticated HTTP client: <see cref="StorageClient.GetBucketAsync"/> hides the response's
    /// <c>Date</c> header, which is the point of the probe.
    /// </summary>
    public async Task<(bool Exists, DateTimeOffset? ServerTime)> ProbeBucketAsync(string bucket, CancellationToken cancellationToken)
    {
        string what = $"get bucket gs://{bucket}";
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(_root, $"storage/v1/b/{Uri.EscapeDataString(bucket)}"));
        using HttpResponseMessage response = await SendAsync(request, what, HttpCompletionOption.ResponseContentRead, cancellationToken);
        DateTimeOffset? serverTime = response.Headers.Date;
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return (false, serverTime);
        }
        await EnsureSuccessAsync(response, what, cancellationToken);
        return (true, serverTime);
    }

    public void Dispose()
    {
        _client.Dispose();
        _bandwidth?.Dispose();
    }

    private ConfigurableHttpClient Http => _client.Service.HttpClient;

    /// <summary>
    /// The root above <c>storage/v1/</c>. The client's base URI ends in <c>storage/v1/</c>, except for an emulator named
    /// by <c>STORAGE_EMULATOR_HOST</c>, where Google's builder uses the bare host (and emulators answer <c>b/...</c> there).
    /// </summary>
    private static Uri RootOf(string baseUri)
    {
        string root = baseUri.EndsWith('/') ? baseUri : baseUri + "/";
        const string Api = "storage/v1/";
        return new Uri(root.EndsWith(Api, StringComparison.Ordinal) ? root[..^Api.Length] : root);
    }
}

/// <summary>The credentials are missing or unusable; the message says what to do.</summary>
public sealed class GcsCredentialException(string message, Exception? inner = null) : Exception(message, inner);
