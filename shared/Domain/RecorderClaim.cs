using System.Globalization;

namespace Cctv.Shared.Domain;

/// <summary>
/// Who a recorder ID belongs to. Recording IDs derive from the recorder ID (<see cref="RecordingId"/>), so two
/// installations under one ID would write each other's recordings. The first installation to start under an ID claims
/// it with its installation key; every other installation is refused until an operator releases the claim.
/// </summary>
/// <param name="KeyFingerprint">SHA-256 (lowercase hex) of the installation key's SubjectPublicKeyInfo (the data directory's <c>identity/recorder-key.pem</c>).</param>
/// <param name="MachineIdHash">A hash of the machine's <c>/etc/machine-id</c> when it has one: a copied data directory keeps its key, not its machine.</param>
/// <param name="Principal">The credential the claim was made with, where known (a service account's email), for the operator.</param>
/// <param name="Host">The host name the claim was made from, for the operator.</param>
/// <param name="ClaimedAt">When, by the catalog's clock.</param>
/// <param name="ReleasedAt">When an operator released it (then the next installation to start claims the ID); null while it holds.</param>
/// <param name="ReleasedBy">Who released it (the operator command's user).</param>
/// <param name="ReleaseReason">Why (hardware replaced, recorder retired).</param>
/// <param name="PreviousFingerprint">The key of the claim this one replaced after a release, so a transfer stays on record.</param>
public sealed record RecorderClaim(
    string RecorderId,
    string KeyFingerprint,
    string? MachineIdHash,
    string? Principal,
    string? Host,
    DateTimeOffset ClaimedAt,
    DateTimeOffset? ReleasedAt = null,
    string? ReleasedBy = null,
    string? ReleaseReason = null,
    string? PreviousFingerprint = null)
{
    /// <summary>The operator command of the functions host that releases a claim (for messages).</summary>
    public const string ReleaseCommand = "dotnet run --project functions -- recorder release --recorder {0} --reason \"...\" (with --data-dir on the embedded backend, CCTV_BACKEND=gcp for Firestore)";

    public bool IsReleased => ReleasedAt is not null;

    /// <summary>The command, with this recorder ID filled in.</summary>
    public string ReleaseCommandLine => string.Format(CultureInfo.InvariantCulture, ReleaseCommand, RecorderId);

    /// <summary>Who holds it, in words: key, credential, host and time.</summary>
    public string Describe() =>
        $"installation key {Abbreviated(KeyFingerprint)}" +
        (Principal is { Length: > 0 } p ? $" with credential {p}" : "") +
        (Host is { Length: > 0 } h ? $" on host {h}" : "") +
        $", claimed {ClaimedAt.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture)} UTC";

    /// <summary>
    /// Why <paramref name="mine"/> may not record under the ID <paramref name="stored"/> holds, or null when it may:
    /// the claim is its own (same key, and the same machine where both know theirs).
    /// </summary>
    public static string? Refusal(RecorderClaim stored, RecorderClaim mine)
    {
        if (!string.Equals(stored.KeyFingerprint, mine.KeyFingerprint, StringComparison.Ordinal))
        {
            return $"Recorder ID '{stored.RecorderId}' is already claimed by another installation ({stored.Describe()}); this installation's key is " +
                $"{Abbreviated(mine.KeyFingerprint)}. Two installations under one ID would write each other's recordings, so nothing was recorded, announced or uploaded. " +
                $"Give this recorder its own ID (Recorder:Id). If this installation replaces that recorder (new hardware, reinstall), " +
                $"release the old claim first: {stored.ReleaseCommandLine}";
        }
        if (stored.MachineIdHash is { } theirs && mine.MachineIdHash is { } ours && !string.Equals(theirs, ours, StringComparison.Ordinal))
        {
            return $"Recorder ID '{stored.RecorderId}' is claimed by this installation key ({stored.Describe()}), but from another machine: this data " +
                $"directory was copied or restored onto this one. If both copies run, they write each other's recordings, so nothing was recorded, announced or uploaded. " +
                $"A copy that should record on its own: give it its own ID (Recorder:Id) and delete its identity/ folder so it makes its own key. " +
                $"A replacement of that machine (the old one is gone): release the claim first: {stored.ReleaseCommandLine}";
        }
        return null;
    }

    /// <summary>The first 16 hex digits of a fingerprint, enough to tell installations apart in a message.</summary>
    public static string Abbreviated(string fingerprint) => fingerprint.Length > 16 ? fingerprint[..16] : fingerprint;
}
