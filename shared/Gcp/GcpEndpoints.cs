using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Google.Apis.Auth.OAuth2;
using Google.Apis.Http;
using Polly;
using Polly.Retry;

namespace Cctv.Shared.Gcp;

// The plumbing the thin REST clients of Firestore and Pub/Sub share: where a Google API is reached
// (an emulator or the real service), how requests are authorized, and how failures surface.

/// <summary>A Google API this code talks to: its production root, its emulator variable and its OAuth scope.</summary>
public sealed record GcpService(string Name, Uri ProductionRoot, string EmulatorHostVariable, string Scope)
{
    public static readonly GcpService Firestore = new(
        "Firestore", new Uri("https://firestore.googleapis.com/"), "FIRESTORE_EMULATOR_HOST", "https://www.googleapis.com/auth/datastore");

    public static readonly GcpService PubSub = new(
        "Pub/Sub", new Uri("https://pubsub.googleapis.com/"), "PUBSUB_EMULATOR_HOST", "https://www.googleapis.com/auth/pubsub");
}

/// <summary>How calls to a Google API are made: per-request timeout and retries of transient failures.</summary>
public sealed record GcpEndpointOptions
{
    /// <summary>A service-account key file; when null, application default credentials are used. Ignored for an emulator.</summary>
    public string? CredentialsPath { get; init; }

    /// <summary>How long one HTTP request may take before it counts as a transient failure.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Retries after a transient failure (429, 5xx, timeout, connection failure) before it is thrown.</summary>
    public int TransientRetries { get; init; } = 2;

    /// <summary>First back-off of those retries; it doubles (with jitter) up to <see cref="MaxRetryDelay"/>.</summary>
    public TimeSpan RetryDelay { get; init; } = TimeSpan.FromMilliseconds(200);

    public TimeSpan MaxRetryDelay { get; init; } = TimeSpan.FromSeconds(5);

    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;
}

/// <summary>
/// Where one Google API is reached and how: the root URI, an HTTP client from Google.Apis' stack
/// (authorized with a scoped <see cref="GoogleCredential"/>, or with no credentials at all for an emulator),
/// and a JSON call that turns every failure into an exception: <see cref="GcpTransientException"/> for what
/// is worth retrying, <see cref="GcpApiException"/> for the rest. An outage is never an empty answer.
/// </summary>
public sealed class GcpEndpoint : IDisposable
{
    private static readonly HashSet<int> TransientStatusCodes = [408, 429, 500, 502, 503, 504];

    private readonly ConfigurableHttpClient _http;
    private readonly ResiliencePipeline _retry;

    private GcpEndpoint(GcpService service, Uri root, bool isEmulator, GoogleCredential? credential, GcpEndpointOptions options)
    {
        Service = service;
        Root = root;
        IsEmulator = isEmulator;
        var args = new CreateHttpClientArgs { ApplicationName = "cctv-serverless", GZipEnabled = true };
        if (credential is not null)
        {
            args.Initializers.Add(credential);
        }
        _http = new HttpClientFactory().CreateHttpClient(args);
        _http.Timeout = options.RequestTimeout;
        _retry = options.TransientRetries <= 0 ? ResiliencePipeline.Empty : new ResiliencePipelineBuilder { TimeProvider = options.TimeProvider }
            .AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = new PredicateBuilder().Handle<GcpTransientException>(),
                MaxRetryAttempts = options.TransientRetries,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = options.RetryDelay,
                MaxDelay = options.MaxRetryDelay,
            })
            .Build();
    }

    public GcpService Service { get; }

    /// <summary>The API root, e.g. <c>https://firestore.googleapis.com/</c> or <c>http://127.0.0.1:8080/</c>.</summary>
    public Uri Root { get; }

    public bool IsEmulator { get; }

    /// <summary>An emulator at <paramref name="hostPort"/> (the official clients' convention: host:port, plain HTTP, no credentials).</summary>
    public static GcpEndpoint Emulator(GcpService service, string hostPort, GcpEndpointOptions? options = null)
    {
        string value = hostPort.Trim();
        if (value.Length == 0 || value.Contains('/', StringComparison.Ordinal)
            || !Uri.TryCreate($"http://{value}/", UriKind.Absolute, out Uri? root) || root.IsDefaultPort && !value.EndsWith(":80", StringComparison.Ordinal))
        {
            throw new ArgumentException(
                $"{service.EmulatorHostVariable} is '{hostPort}': it must be host:port of the {service.Name} emulator, e.g. 127.0.0.1:8085 (no scheme, no path).",
                nameof(hostPort));
        }
        return new GcpEndpoint(service, root, isEmulator: true, credential: null, options ?? new GcpEndpointOptions());
    }

    /// <summary>The real service, authorized with <paramref name="credential"/> scoped to the service.</summary>
    public static GcpEndpoint Production(GcpService service, GoogleCredential credential, GcpEndpointOptions? options = null, Uri? root = null) =>
        new(service, root ?? service.ProductionRoot, isEmulator: false, credential.CreateScoped(service.Scope), options ?? new GcpEndpointOptions());

    /// <summary>
    /// The emulator when the service's variable (FIRESTORE_EMULATOR_HOST, PUBSUB_EMULATOR_HOST) is set, else the real
    /// service with the key file of <see cref="GcpEndpointOptions.CredentialsPath"/> or application default credentials.
    /// </summary>
    public static async Task<GcpEndpoint> FromEnvironmentAsync(
        GcpService service, GcpEndpointOptions? options, CancellationToken cancellationToken, Func<string, string?>? environment = null)
    {
        options ??= new GcpEndpointOptions();
        string? emulator = (environment ?? Environment.GetEnvironmentVariable)(service.EmulatorHostVariable);
        if (!string.IsNullOrWhiteSpace(emulator))
        {
            return Emulator(service, emulator, options);
        }
        GoogleCredential credential;
        if (options.CredentialsPath is { Length: > 0 } path)
        {
            if (!File.Exists(path))
            {
                throw new FileNotFoundException($"The credentials file '{path}' does not exist: give the path of a service-account key (JSON).", path);
            }
            // Only a service-account key is accepted from a configured path (no arbitrary credential configurations).
            ServiceAccountCredential key = await CredentialFactory.FromFileAsync<ServiceAccountCredential>(path, cancellationToken);
            credential = key.ToGoogleCredential();
        }
        else
        {
            credential = await GoogleCredential.GetApplicationDefaultAsync(cancellationToken);
        }
        return Production(service, credential, options);
    }

    /// <summary>
    /// Sends one JSON request (relative to <see cref="Root"/>) and returns the parsed answer (null when the body is
    /// empty). Transient failures are retried a few times, then thrown as <see cref="GcpTransientException"/>;
    /// other errors are thrown as <see cref="GcpApiException"/> with Google's status (NOT_FOUND, FAILED_PRECONDITION...).
    /// </summary>
    public async Task<JsonDocument?> SendAsync(HttpMethod method, string relativeUri, JsonNode? body, CancellationToken cancellationToken) =>
        await _retry.ExecuteAsync(async ct => await SendOnceAsync(method, relativeUri, body, ct), cancellationToken);

    private async Task<JsonDocument?> SendOnceAsync(HttpMethod method, string relativeUri, JsonNode? body, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, new Uri(Root, relativeUri));
        if (body is not null)
        {
            request.Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
        }
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken);
        }
        catch (HttpRequestException e)
        {
            throw new GcpTransientException($"{Service.Name} at {Root} could not be reached ({method} {relativeUri}): {e.Message}", null, null, e);
        }
        catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw new GcpTransientException($"{Service.Name} at {Root} did not answer {method} {relativeUri} in time.", null, "DEADLINE_EXCEEDED", e);
        }
        using (response)
        {
            string text;
            try
            {
                text = await response.Content.ReadAsStringAsync(cancellationToken);
            }
            catch (HttpRequestException e)
            {
                throw new GcpTransientException($"{Service.Name} at {Root} dropped the answer to {method} {relativeUri}: {e.Message}", null, null, e);
            }
            if (!response.IsSuccessStatusCode)
            {
                throw Failure(method, relativeUri, response.StatusCode, text);
            }
            return string.IsNullOrWhiteSpace(text) ? null : JsonDocument.Parse(text);
        }
    }

    private GcpApiException Failure(HttpMethod method, string relativeUri, HttpStatusCode code, string body)
    {
        string? status = null;
        string message = body.Length > 500 ? body[..500] : body;
        try
        {
            using JsonDocument error = JsonDocument.Parse(body);
            JsonElement root = error.RootElement.ValueKind == JsonValueKind.Array && error.RootElement.GetArrayLength() > 0
                ? error.RootElement[0] : error.RootElement;
            if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty("error", out JsonElement e) && e.ValueKind == JsonValueKind.Object)
            {
                status = e.TryGetProperty("status", out JsonElement s) ? s.GetString() : null;
                message = e.TryGetProperty("message", out JsonElement m) ? m.GetString() ?? message : message;
            }
        }
        catch (JsonException)
        {
        }
        string text = $"{Service.Name} answered {(int)code} {status ?? code.ToString()} to {method} {relativeUri}: {message}";
        return TransientStatusCodes.Contains((int)code)
            ? new GcpTransientException(text, (int)code, status, null)
            : new GcpApiException(text, (int)code, status, null);
    }

    public void Dispose() => _http.Dispose();
}

/// <summary>A Google API refused a request. <see cref="Status"/> is Google's canonical code (NOT_FOUND, ALREADY_EXISTS, FAILED_PRECONDITION, ABORTED...).</summary>
public class GcpApiException : Exception
{
    public GcpApiException()
    {
    }

    public GcpApiException(string message) : base(message)
    {
    }

    public GcpApiException(string message, Exception inner) : base(message, inner)
    {
    }

    public GcpApiException(string message, int? httpStatus, string? status, Exception? inner) : base(message, inner)
    {
        HttpStatus = httpStatus;
        Status = status;
    }

    /// <summary>The HTTP status, or null when no answer came (connection failure, timeout).</summary>
    public int? HttpStatus { get; }

    public string? Status { get; }
}

/// <summary>
/// A failure worth retrying later: the service was unreachable, timed out, throttled (429) or failed (5xx), or a
/// guarded write stayed contended. Callers retry (the functions hand the work to the retry topic); it never means "nothing there".
/// </summary>
public sealed class GcpTransientException : GcpApiException
{
    public GcpTransientException()
    {
    }

    public GcpTransientException(string message) : base(message)
    {
    }

    public GcpTransientException(string message, Exception inner) : base(message, inner)
    {
    }

    public GcpTransientException(string message, int? httpStatus, string? status, Exception? inner) : base(message, httpStatus, status, inner)
    {
    }
}
