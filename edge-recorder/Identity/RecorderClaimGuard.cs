using Cctv.EdgeRecorder.Configuration;
using Cctv.Shared.Domain;
using Cctv.Shared.Ports;
using Microsoft.Extensions.Logging;

namespace Cctv.EdgeRecorder.Identity;

/// <summary>This installation may not record under its recorder ID: another one claimed it. The message says whose it is and what to do.</summary>
public sealed class RecorderClaimRefusedException(string message, RecorderClaim held) : Exception(message)
{
    public RecorderClaim Held { get; } = held;
}

/// <summary>
/// Claims the recorder ID for this installation's key before anything is announced or uploaded, once per process
/// (the agent, and every command that writes to the cloud, asks before its first write). A refusal sticks for the
/// process's life; a catalog that cannot be reached is asked again on the next write. Without a catalog (gcp with
/// <c>Catalog: none</c>) there is nothing to claim against.
/// </summary>
/// <param name="catalog">Null when there is no catalog to claim against.</param>
/// <param name="machineIdHash">This machine's ID, hashed; read from the system unless a test pins it.</param>
public sealed class RecorderClaimGuard(RecorderOptions options, ICatalog? catalog, TimeProvider time, ILoggerFactory logs, Func<string?>? machineIdHash = null)
{
    private readonly string _dataDir = Path.GetFullPath(options.DataDir);
    private readonly Lock _lock = new();
    private readonly Func<string?> _machineIdHash = machineIdHash ?? (() => RecorderIdentity.MachineIdHash());
    private RecorderIdentity? _identity;
    private Task<RecorderClaim>? _claim;

    /// <summary>This installation's key (made at the first call when the data directory has none).</summary>
    public RecorderIdentity Identity => _identity ??= RecorderIdentity.LoadOrCreate(_dataDir);

    /// <summary>The claim this installation holds, once it has been confirmed.</summary>
    public RecorderClaim? Held => _claim is { IsCompletedSuccessfully: true } done ? done.Result : null;

    /// <summary>The claim this installation makes: its key, machine, credential and host.</summary>
    public RecorderClaim Mine() => ClaimOf(options, Identity, _machineIdHash(), time.GetUtcNow());

    /// <summary>The claim an installation with these options and this key makes on this machine.</summary>
    public static RecorderClaim ClaimOf(RecorderOptions options, RecorderIdentity identity, string? machineIdHash, DateTimeOffset now) =>
        new(options.Id, identity.Fingerprint, machineIdHash,
            options.Backend == "gcp" ? RecorderIdentity.ServiceAccountOf(options.Gcp.CredentialsPath) : null,
            Environment.MachineName, now);

    /// <summary>
    /// Returns when this installation holds its recorder ID (or there is no catalog); throws <see cref="RecorderClaimRefusedException"/>
    /// when another does. One claim per process: a confirmed claim or a refusal is kept, a failed attempt is made again on the next call.
    /// </summary>
    public Task EnsureAsync(CancellationToken cancellationToken)
    {
        if (catalog is null)
        {
            return Task.CompletedTask;
        }
        Task<RecorderClaim> claim;
        lock (_lock)
        {
            if (_claim is null || _claim.IsCanceled || (_claim.IsFaulted && _claim.Exception.InnerException is not RecorderClaimRefusedException))
            {
                _claim = ClaimAsync(catalog, cancellationToken);
            }
            claim = _claim;
        }
        return claim.WaitAsync(cancellationToken);
    }

    private async Task<RecorderClaim> ClaimAsync(ICatalog catalog, CancellationToken cancellationToken)
    {
        RecorderClaim mine = Mine();
        RecorderClaim stored = await catalog.ClaimRecorderAsync(mine, cancellationToken);
        ILogger log = logs.CreateLogger<RecorderClaimGuard>();
        if (RecorderClaim.Refusal(stored, mine) is { } why)
        {
            log.LogCritical("{Refusal}", why);
            throw new RecorderClaimRefusedException(why, stored);
        }
        log.LogInformation("Recorder ID {RecorderId} belongs to this installation (key {Fingerprint}, {KeyPath})", stored.RecorderId, stored.KeyFingerprint, Identity.KeyPath);
        await RegisterKeyAsync(catalog, log, cancellationToken);
        RecorderIdentity.RememberConfirmedClaim(_dataDir, stored);
        return stored;
    }

    /// <summary>
    /// The public half of the key the claim holds, registered in the catalog before any evidence manifest is uploaded
    /// (docs/evidence-format.md), so the cloud can check their signatures. A new key for this recorder ID (after a
    /// release and a new installation) is recorded there as a rotation, and said so here.
    /// </summary>
    private async Task RegisterKeyAsync(Cctv.Shared.Ports.ICatalog catalog, ILogger log, CancellationToken cancellationToken)
    {
        byte[] spki;
        using (System.Security.Cryptography.ECDsa key = Identity.OpenSigningKey())
        {
            spki = key.ExportSubjectPublicKeyInfo();
        }
        RecorderKeyOutcome outcome = await catalog.RegisterRecorderKeyAsync(RecorderKey.Of(options.Id, spki, time.GetUtcNow()), cancellationToken);
        if (outcome == RecorderKeyOutcome.Rotated)
        {
            log.LogWarning("Recorder ID {RecorderId} signs its evidence with a new key {Fingerprint} from now on; the catalog records the rotation and keeps the old key",
                options.Id, Identity.Fingerprint);
        }
    }

    /// <summary>The claim is confirmed and this installation's public key registered, in this process.</summary>
    public bool KeyRegistered => Held is not null;

    /// <summary>
    /// Before an upload: the claim is confirmed in this process, or, when the catalog cannot be asked now, it was confirmed
    /// for this ID and key by an earlier run (<c>identity/claim.json</c>), so a catalog outage never holds uploads back
    /// after the first start. A refusal always stops the upload.
    /// </summary>
    public async Task EnsureMayUploadAsync(CancellationToken cancellationToken)
    {
        try
        {
            await EnsureAsync(cancellationToken);
        }
        catch (Exception e) when (e is not (RecorderClaimRefusedException or RecorderIdentityException or OperationCanceledException)
            && RecorderIdentity.ConfirmedClaim(_dataDir) is { } earlier
            && earlier.RecorderId == options.Id && earlier.KeyFingerprint == Identity.Fingerprint)
        {
            // confirmed before; the catalog is asked again before the next announcement
        }
    }

    /// <summary>
    /// The agent's first step: a refusal stops it (nothing recorded, announced or uploaded); a catalog that does not answer
    /// does not (recording never waits for the cloud), and announcing and uploading wait until the claim is confirmed.
    /// </summary>
    public async Task EnsureAtStartAsync(CancellationToken cancellationToken)
    {
        try
        {
            await EnsureAsync(cancellationToken);
        }
        catch (Exception e) when (e is not (RecorderClaimRefusedException or RecorderIdentityException or OperationCanceledException))
        {
            logs.CreateLogger<RecorderClaimGuard>().LogWarning(
                "Could not claim recorder ID {RecorderId} in the catalog ({Error}); recording anyway, announcing and uploading once the claim is confirmed",
                options.Id, e.Message);
        }
    }
}
