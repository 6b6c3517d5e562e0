using System.Security.Cryptography;
using Cctv.EdgeRecorder.Configuration;
using Cctv.EdgeRecorder.Identity;
using Cctv.EdgeRecorder.Outbox;
using Cctv.EdgeRecorder.Pipeline;
using Cctv.Shared.Domain;
using Cctv.Shared.Evidence;
using Cctv.Shared.Hashing;
using Cctv.Shared.Ports;
using Microsoft.Extensions.Logging;
using Polly;
using Polly.Timeout;

namespace Cctv.EdgeRecorder.Evidence;

/// <summary>
/// Keeps each camera's evidence chain signed and in the staging bucket (docs/evidence-format.md): appends what the
/// outbox sealed to the chain, signs a manifest over the new entries at least every <see cref="Interval"/> and as soon
/// as a run has ended, and uploads each manifest file create-only (<c>ifGenerationMatch=0</c>) with its CRC32C, retried
/// like a segment: a few quick retries of what is transient, then a capped back-off, for as long as it takes. Manifests
/// go up only once this installation's key is registered in the catalog, so the cloud never meets a key it does not know.
/// </summary>
public sealed class ManifestPublisher
{
    public static readonly TimeSpan DefaultInterval = TimeSpan.FromMinutes(1);

    private readonly OutboxStore _outbox;
    private readonly IObjectStore _store;
    private readonly string _bucket;
    private readonly string _recorderId;
    private readonly UploadOptions _options;
    private readonly RecorderClaimGuard _claims;
    private readonly bool _hasCatalog;
    private readonly TimeProvider _time;
    private readonly Func<double> _jitter;
    private readonly ILogger _log;
    private readonly ResiliencePipeline _retry;

    /// <summary>When each camera's latest manifest was signed, as read once and then as this publisher signed them.</summary>
    private readonly Dictionary<string, DateTimeOffset?> _lastSigned = new(StringComparer.Ordinal);

    /// <summary>
    /// Cameras found with no ended run unsigned, with the outbox's <see cref="OutboxStore.RunsVersion"/> taken before that
    /// pass's chain append and when it was asked, kept as the outbox keeps its runs (<see cref="OutboxStore.RunsReadHolds"/>): the
    /// answer can only turn when a run is sealed, which moves the version, and a run sealed by another process is seen within
    /// <see cref="OutboxStore.OpenRunsMaxAge"/>.
    /// Asking both for every camera on every pass was a sixth of the agent's SQLite statements at 16 cameras.
    /// </summary>
    private readonly Dictionary<string, (long RunsVersion, DateTimeOffset At)> _noEndedRunUnsigned = new(StringComparer.Ordinal);

    public ManifestPublisher(OutboxStore outbox, IObjectStore store, string stagingBucket, string recorderId, UploadOptions options, RecorderClaimGuard claims,
        bool hasCatalog, TimeProvider time, ILoggerFactory logs, TimeSpan? interval = null, Func<double>? jitter = null)
    {
        _outbox = outbox;
        _store = store;
        _bucket = stagingBucket;
        _recorderId = recorderId;
        _options = options;
        _claims = claims;
        _hasCatalog = hasCatalog;
        _time = time;
        _jitter = jitter ?? Random.Shared.NextDouble;
        Interval = interval ?? DefaultInterval;
        _log = logs.CreateLogger<ManifestPublisher>();
        _retry = UploadRetries.Builder(options, time, _log, "Manifest upload").AddTimeout(options.RequestTimeout).Build();
    }

    /// <summary>The longest a camera's new entries wait for a manifest.</summary>
    public TimeSpan Interval { get; }

    /// <summary>Appends, signs what is due, uploads what is due. Returns how many manifests reached the bucket.</summary>
    public async Task<int> PublishAsync(bool upload, CancellationToken cancellationToken)
    {
        long runsVersion = _outbox.RunsVersion; // before the append: a run sealed after this moves it, and is asked about next pass
        _outbox.AppendChain(_recorderId);
        SignDue(runsVersion);
        return upload ? await UploadDueAsync(cancellationToken) : 0;
    }

    /// <summary>Signs a manifest for each camera whose new entries are due: its first, a minute after its last, or a run that ended. Returns how many.</summary>
    public int SignDue() => SignDue(_outbox.RunsVersion);

    private int SignDue(long runsVersion)
    {
        int signed = 0;
        DateTimeOffset now = _time.GetUtcNow();
        foreach (string cameraId in _outbox.CamerasWithUnsignedEntries(_recorderId))
        {
            var camera = new CameraKey(_recorderId, cameraId);
            // When the last was signed decides; the manifest itself (its file, with every entry it covers) is read only to sign the next.
            if (!_lastSigned.TryGetValue(cameraId, out DateTimeOffset? lastSignedAt))
            {
                lastSignedAt = _lastSigned[cameraId] = _outbox.LastManifestSignedAt(camera);
            }
            if (lastSignedAt is null || now - lastSignedAt >= Interval || EndedRunUnsigned(camera, runsVersion, now))
            {
                if (Sign(camera, _outbox.LastManifest(camera), now))
                {
                    signed++;
                    _noEndedRunUnsigned.Remove(cameraId);
                }
                // Signed here or, first, by another writer: read again next time.
                _lastSigned.Remove(cameraId);
            }
        }
        return signed;
    }

    private bool EndedRunUnsigned(CameraKey camera, long runsVersion, DateTimeOffset now)
    {
        if (_noEndedRunUnsigned.TryGetValue(camera.CameraId, out var known) && OutboxStore.RunsReadHolds(known.RunsVersion, known.At, runsVersion, now))
        {
            return false;
        }
        if (_outbox.EndedRunUnsigned(camera))
        {
            return true;
        }
        _noEndedRunUnsigned[camera.CameraId] = (runsVersion, now);
        return false;
    }

    private bool Sign(CameraKey camera, OutboxManifest? last, DateTimeOffset now)
    {
        ChainManifest? previous = null;
        if (last is not null)
        {
            previous = ChainManifest.TryParse(ManifestFile.Parse(last.File).Manifest.Bytes, out string? error)
                ?? throw new InvalidOperationException($"The outbox's manifest {last.Sequence} of {camera} is not canonical ({error}).");
        }
        ChainEntry head = _outbox.ChainHead(camera) ?? throw new InvalidOperationException($"{camera} has no chain to sign.");
        var signedAt = DateTimeOffset.FromUnixTimeMilliseconds(now.ToUnixTimeMilliseconds());
        ChainManifest manifest = ChainManifest.Next(previous, camera, _claims.Identity.Fingerprint, head, signedAt);
        SignedManifest signed;
        using (ECDsa key = _claims.Identity.OpenSigningKey())
        {
            signed = SignedManifest.Sign(manifest, key);
        }
        byte[] file = ManifestFile.Of(signed, _outbox.ChainEntries(camera, manifest.First, manifest.Last)).ToBytes();
        if (!_outbox.InsertManifest(manifest, file, ObjectNames.Manifest(camera, manifest.Sequence)))
        {
            return false; // another pass signed this place first
        }
        _log.LogInformation("Camera {Camera}: signed manifest {Sequence} over chain entries {First}-{Last} (head {Head})",
            camera, manifest.Sequence, manifest.First, manifest.Last, manifest.Head);
        return true;
    }

    /// <summary>Uploads the manifests that are due, each create-only with its CRC32C. Returns how many reached the bucket.</summary>
    public async Task<int> UploadDueAsync(CancellationToken cancellationToken)
    {
        if (_hasCatalog && !_claims.KeyRegistered)
        {
            try
            {
                await _claims.EnsureAsync(cancellationToken); // confirms the claim and registers the key
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                _log.LogWarning("Evidence manifests wait until this installation's key is registered in the catalog ({Error})", e.Message);
                return 0;
            }
        }
        int uploaded = 0;
        foreach (OutboxManifest manifest in _outbox.DueManifests(limit: 100))
        {
            uploaded += await UploadOneAsync(manifest, cancellationToken) ? 1 : 0;
        }
        return uploaded;
    }

    private async Task<bool> UploadOneAsync(OutboxManifest manifest, CancellationToken cancellationToken)
    {
        string crc = Crc32C.ToBase64(Crc32C.Compute(manifest.File));
        var metadata = new Dictionary<string, string>();
        try
        {
            StoredObject stored = await _retry.ExecuteAsync(async ct =>
            {
                using var content = new MemoryStream(manifest.File, writable: false);
                return await _store.UploadAsync(new UploadRequest(_bucket, manifest.ObjectName, ManifestFile.ContentType, crc, Md5: null, IfGenerationMatch: 0, metadata),
                    content, ct);
            }, cancellationToken);
            _outbox.MarkManifestUploaded(manifest, stored.Generation);
            _log.LogInformation("Uploaded manifest {Sequence} of {Recorder}~{Camera} to gs://{Bucket}/{Object}", manifest.Sequence, manifest.RecorderId,
                manifest.CameraId, _bucket, manifest.ObjectName);
            return true;
        }
        catch (ObjectStoreException e) when (e.Error == ObjectStoreError.PreconditionFailed)
        {
            // Already there: an earlier attempt succeeded before we heard back, if the bytes are ours. Never overwritten.
            StoredObject? existing = null;
            try
            {
                existing = await _store.GetAsync(_bucket, manifest.ObjectName, cancellationToken);
            }
            catch (ObjectStoreException read)
            {
                Fail(manifest, $"gs://{_bucket}/{manifest.ObjectName} exists and could not be read back to compare ({read.Message})");
                return false;
            }
            if (existing is not null && existing.Crc32C == crc && existing.Size == manifest.File.Length)
            {
                _outbox.MarkManifestUploaded(manifest, existing.Generation);
                return true;
            }
            Fail(manifest, $"gs://{_bucket}/{manifest.ObjectName} already exists with other content (CRC32C {existing?.Crc32C}); not overwritten");
            return false;
        }
        catch (Exception e) when (e is ObjectStoreException or HttpRequestException or TimeoutRejectedException or IOException)
        {
            Fail(manifest, e.Message);
            return false;
        }
    }

    private void Fail(OutboxManifest manifest, string error)
    {
        double baseSeconds = Math.Max(1, _options.RetryDelay.TotalSeconds * 6);
        double seconds = Math.Min(_options.MaxBackoff.TotalSeconds, baseSeconds * Math.Pow(2, Math.Min(manifest.Attempts, 20))) * (0.8 + (_jitter() * 0.4));
        TimeSpan backoff = TimeSpan.FromSeconds(seconds);
        _outbox.MarkManifestFailed(manifest, error, _time.GetUtcNow() + backoff);
        _log.LogWarning("Upload of manifest {Sequence} of {Recorder}~{Camera} failed ({Error}); trying again in {Backoff}", manifest.Sequence,
            manifest.RecorderId, manifest.CameraId, error, backoff);
    }
}
