using System.Security.Cryptography;

namespace Cctv.Shared.Domain;

/// <summary>How registering a recorder's public key went.</summary>
public enum RecorderKeyOutcome
{
    /// <summary>The recorder's first key.</summary>
    Registered,
    /// <summary>This key was registered for this recorder before: nothing changed.</summary>
    AlreadyRegistered,
    /// <summary>A new key for a recorder that had another: recorded as a rotation (<see cref="RecorderKey.PreviousFingerprint"/>), never silently.</summary>
    Rotated,
}

/// <summary>
/// A public key a recorder signs its evidence manifests with (docs/evidence-format.md): its installation key's
/// SubjectPublicKeyInfo (DER, base64) and fingerprint (SHA-256 of those bytes, lowercase hex; what the recorder's claim
/// binds its ID to). The catalog keeps every key a recorder ID ever had, in order: each one after the first is a
/// rotation and names the key it followed, so old manifests stay verifiable and a key change is always on record.
/// </summary>
public sealed record RecorderKey(string RecorderId, string Fingerprint, string PublicKey, DateTimeOffset RegisteredAt, string? PreviousFingerprint = null)
{
    /// <summary>The key for <paramref name="spki"/> (DER SubjectPublicKeyInfo), its fingerprint computed here.</summary>
    public static RecorderKey Of(string recorderId, ReadOnlySpan<byte> spki, DateTimeOffset registeredAt) =>
        new(recorderId, Convert.ToHexStringLower(SHA256.HashData(spki)), Convert.ToBase64String(spki), registeredAt);

    /// <summary>Throws <see cref="ArgumentException"/> unless the recorder ID is valid and the fingerprint is the public key's.</summary>
    public void Validate()
    {
        if (!Identifiers.IsValidSlug(RecorderId))
        {
            throw new ArgumentException($"'{RecorderId}' is not a recorder ID ({Identifiers.SlugRule}).", nameof(RecorderId));
        }
        byte[] spki;
        try
        {
            spki = Convert.FromBase64String(PublicKey);
        }
        catch (FormatException e)
        {
            throw new ArgumentException($"The public key of recorder {RecorderId} is not base64.", nameof(PublicKey), e);
        }
        if (Convert.ToHexStringLower(SHA256.HashData(spki)) != Fingerprint)
        {
            throw new ArgumentException($"The fingerprint {Fingerprint} is not the SHA-256 of recorder {RecorderId}'s public key.", nameof(Fingerprint));
        }
    }
}
