namespace Cctv.Shared.Gcp.Storage;

/// <summary>How to reach Cloud Storage and how to upload to it.</summary>
public sealed record GcsSettings
{
    public static readonly Uri ProductionEndpoint = new("https://storage.googleapis.com/");

    /// <summary>The environment variable Google's client libraries read for a storage emulator (host:port or a URL).</summary>
    public const string EmulatorHostVariable = "STORAGE_EMULATOR_HOST";

    /// <summary>Where the JSON API is served; <c>storage/v1/...</c> and <c>upload/storage/v1/...</c> go after it.</summary>
    public Uri Endpoint { get; init; } = ProductionEndpoint;

    /// <summary>A service account key file; null: application default credentials.</summary>
    public string? CredentialsPath { get; init; }

    /// <summary>No credentials at all: for an emulator or a test server, never for Cloud Storage itself.</summary>
    public bool Anonymous { get; init; }

    /// <summary>Bytes per resumable chunk; a multiple of 256 KiB (the protocol's rule for every chunk but the last).</summary>
    public int ChunkSize { get; init; } = 8 * 1024 * 1024;

    /// <summary>
    /// Objects up to this size go up in one request (a multipart upload: metadata, checksums and bytes together) instead of
    /// a resumable session: half the requests, and a small object interrupted is simply sent again. 0: always resumable.
    /// </summary>
    public long SingleRequestMaxBytes { get; init; } = 5 * 1024 * 1024;

    /// <summary>How long one HTTP request (a chunk, a status query, a metadata call) may take before it counts as failed.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Quick retries of a transient failure (5xx, 429, a reset, a timed-out request) inside one upload call, resuming the
    /// same session, before the failure reaches the caller's own, slower retry layers (as Google's clients and rclone's
    /// "low-level retries" do).
    /// </summary>
    public int TransientRetries { get; init; } = 3;

    /// <summary>The first quick retry's delay, doubled each time, with jitter.</summary>
    public TimeSpan TransientRetryDelay { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Upload bandwidth cap over all uploads of this store, bytes per second; null: no cap.</summary>
    public long? MaxBytesPerSecond { get; init; }

    /// <summary>Settings for the emulator or test server named by <see cref="EmulatorHostVariable"/>, or null when it is not set.</summary>
    public static GcsSettings? FromEmulatorEnvironment(GcsSettings template)
    {
        string? host = Environment.GetEnvironmentVariable(EmulatorHostVariable);
        if (string.IsNullOrWhiteSpace(host))
        {
            return null;
        }
        string url = host.Contains("://", StringComparison.Ordinal) ? host : "http://" + host;
        return template with { Endpoint = new Uri(url.EndsWith('/') ? url : url + "/"), Anonymous = true };
    }

    public void Validate()
    {
        const int Quantum = 256 * 1024;
        if (ChunkSize < Quantum || ChunkSize % Quantum != 0)
        {
            throw new ArgumentException($"The upload chunk size must be a positive multiple of 256 KiB ({Quantum} bytes); it is {ChunkSize}.");
        }
        if (RequestTimeout <= TimeSpan.Zero)
        {
            throw new ArgumentException("The request timeout must be positive.");
        }
        if (MaxBytesPerSecond is <= 0)
        {
            throw new ArgumentException("The bandwidth cap must be positive when it is set.");
        }
        if (!Endpoint.IsAbsoluteUri || !Endpoint.AbsolutePath.EndsWith('/'))
        {
            throw new ArgumentException($"The storage endpoint must be an absolute URL ending in '/'; it is {Endpoint}.");
        }
    }
}
