using Cctv.Shared.Domain;

namespace Cctv.Shared.Gcp.Firestore;

/// <summary>
/// The recorder claims of the Firestore catalog: <c>recorder_claims/{recorder}</c> {key_fingerprint, machine_id_hash,
/// principal, host, claimed_at, released_at, released_by, release_reason, previous_fingerprint}. The first claim is a
/// create (<c>currentDocument.exists = false</c>), so of racing first claims exactly one is stored; replacing a released
/// claim is guarded by the update time it was read with.
/// </summary>
public sealed partial class FirestoreCatalog
{
    public const string RecorderClaimsCollection = "recorder_claims";

    private const string KeyFingerprintField = "key_fingerprint";
    private const string MachineIdHashField = "machine_id_hash";
    private const string ClaimPrincipalField = "principal";
    private const string HostField = "host";
    private const string ClaimedAtField = "claimed_at";
    private const string ReleasedAtField = "released_at";
    private const string ReleasedByField = "released_by";
    private const string ReleaseReasonField = "release_reason";
    private const string PreviousFingerprintField = "previous_fingerprint";

    public async Task<RecorderClaim> ClaimRecorderAsync(RecorderClaim claim, CancellationToken cancellationToken)
    {
        string name = _client.DocumentName(RecorderClaimsCollection, claim.RecorderId);
        return await Guarded(name, async ct =>
        {
            FirestoreDocument? existing = await _client.GetAsync(name, ct);
            if (existing is not null && existing[ReleasedAtField] is null)
            {
                return ToClaim(claim.RecorderId, existing);
            }
            RecorderClaim stored = claim with
            {
                ClaimedAt = _time.GetUtcNow(),
                ReleasedAt = null,
                ReleasedBy = null,
                ReleaseReason = null,
                PreviousFingerprint = existing?.GetString(KeyFingerprintField),
            };
            Dictionary<string, object?> fields = FieldsOf(stored);
            // A lost race to create is ALREADY_EXISTS, to replace a released claim FAILED_PRECONDITION: Guarded reads and decides again.
            await _client.CommitAsync([existing is null ? FirestoreWrite.Create(name, fields) : new FirestoreWrite(name, fields, null, null, existing.UpdateTime)], ct);
            return stored;
        }, cancellationToken);
    }

    public async Task<RecorderClaim?> GetRecorderClaimAsync(string recorderId, CancellationToken cancellationToken)
    {
        string name;
        try
        {
            name = _client.DocumentName(RecorderClaimsCollection, recorderId);
        }
        catch (ArgumentException)
        {
            return null;
        }
        return await _client.GetAsync(name, cancellationToken) is { } doc ? ToClaim(recorderId, doc) : null;
    }

    public async Task<RecorderClaim?> ReleaseRecorderClaimAsync(string recorderId, string releasedBy, string reason, CancellationToken cancellationToken)
    {
        string name = _client.DocumentName(RecorderClaimsCollection, recorderId);
        return await Guarded(name, async ct =>
        {
            if (await _client.GetAsync(name, ct) is not { } doc || doc[ReleasedAtField] is not null)
            {
                return null;
            }
            DateTimeOffset now = _time.GetUtcNow();
            await _client.CommitAsync([FirestoreWrite.UpdateIfUnchanged(name, new Dictionary<string, object?>
            {
                [ReleasedAtField] = now,
                [ReleasedByField] = releasedBy,
                [ReleaseReasonField] = reason,
            }, doc.UpdateTime)], ct);
            return ToClaim(recorderId, doc) with { ReleasedAt = now, ReleasedBy = releasedBy, ReleaseReason = reason };
        }, cancellationToken);
    }

    private static Dictionary<string, object?> FieldsOf(RecorderClaim c) => new()
    {
        [KeyFingerprintField] = c.KeyFingerprint,
        [MachineIdHashField] = c.MachineIdHash,
        [ClaimPrincipalField] = c.Principal,
        [HostField] = c.Host,
        [ClaimedAtField] = c.ClaimedAt,
        [ReleasedAtField] = c.ReleasedAt,
        [ReleasedByField] = c.ReleasedBy,
        [ReleaseReasonField] = c.ReleaseReason,
        [PreviousFingerprintField] = c.PreviousFingerprint,
    };

    private static RecorderClaim ToClaim(string recorderId, FirestoreDocument d) => new(
        recorderId, d.GetString(KeyFingerprintField), d.GetNullableString(MachineIdHashField), d.GetNullableString(ClaimPrincipalField),
        d.GetNullableString(HostField), d.GetTimestamp(ClaimedAtField), d.GetNullableTimestamp(ReleasedAtField), d.GetNullableString(ReleasedByField),
        d.GetNullableString(ReleaseReasonField), d.GetNullableString(PreviousFingerprintField));
}
