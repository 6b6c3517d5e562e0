using System.Security.Cryptography;

namespace Cctv.Shared.Evidence;

/// <summary>
/// A recorder's public key as a verifier holds it: ECDSA P-256, given as its DER SubjectPublicKeyInfo (or that in PEM).
/// Its fingerprint is SHA-256 of the SubjectPublicKeyInfo bytes, 64 lowercase hex digits: the same value the recorder's
/// claim binds its ID to (<c>RecorderClaim.KeyFingerprint</c>). The fingerprint is always computed here, never taken on trust.
/// </summary>
public sealed class EvidencePublicKey
{
    private readonly byte[] _spki;

    private EvidencePublicKey(byte[] spki)
    {
        _spki = spki;
        Fingerprint = FingerprintOf(spki);
    }

    public string Fingerprint { get; }

    public ReadOnlySpan<byte> SubjectPublicKeyInfo => _spki;

    /// <summary>The DER SubjectPublicKeyInfo in base64 (how the catalog stores it).</summary>
    public string ToBase64() => Convert.ToBase64String(_spki);

    public string ToPem() => PemEncoding.WriteString("PUBLIC KEY", _spki);

    public static string FingerprintOf(ReadOnlySpan<byte> spki) => Convert.ToHexStringLower(SHA256.HashData(spki));

    /// <summary>A P-256 public key from its DER SubjectPublicKeyInfo; a <see cref="FormatException"/> for anything else.</summary>
    public static EvidencePublicKey FromSubjectPublicKeyInfo(ReadOnlySpan<byte> spki)
    {
        try
        {
            using var key = ECDsa.Create();
            key.ImportSubjectPublicKeyInfo(spki, out int read);
            if (read != spki.Length)
            {
                throw new FormatException("The public key has bytes after its SubjectPublicKeyInfo.");
            }
            if (key.ExportParameters(false).Curve.Oid.Value != ECCurve.NamedCurves.nistP256.Oid.Value)
            {
                throw new FormatException("The public key is not on the P-256 curve.");
            }
            return new EvidencePublicKey(spki.ToArray());
        }
        catch (CryptographicException e)
        {
            throw new FormatException($"Not an ECDSA public key ({e.Message}).", e);
        }
    }

    public static EvidencePublicKey FromBase64(string spki)
    {
        try
        {
            return FromSubjectPublicKeyInfo(Convert.FromBase64String(spki));
        }
        catch (FormatException e) when (e.InnerException is null && e.Message.Contains("Base-64", StringComparison.OrdinalIgnoreCase))
        {
            throw new FormatException("The public key is not base64.", e);
        }
    }

    /// <summary>A "-----BEGIN PUBLIC KEY-----" PEM.</summary>
    public static EvidencePublicKey FromPem(string pem)
    {
        if (!PemEncoding.TryFind(pem, out PemFields fields) || pem[fields.Label] is not "PUBLIC KEY")
        {
            throw new FormatException("Not a PEM public key (-----BEGIN PUBLIC KEY-----).");
        }
        return FromSubjectPublicKeyInfo(Convert.FromBase64String(pem[fields.Base64Data].ToString()));
    }

    /// <summary>The public half of a signing key.</summary>
    public static EvidencePublicKey Of(ECDsa key) => FromSubjectPublicKeyInfo(key.ExportSubjectPublicKeyInfo());

    /// <summary>Whether <paramref name="signature"/> (IEEE P1363 r||s, 64 bytes) is this key's ECDSA P-256 / SHA-256 signature of <paramref name="data"/>.</summary>
    public bool Verifies(ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature)
    {
        if (signature.Length != ManifestSignature.Length)
        {
            return false;
        }
        using var key = ECDsa.Create();
        key.ImportSubjectPublicKeyInfo(_spki, out _);
        return key.VerifyData(data, signature, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
    }
}

/// <summary>The signature of a manifest: ECDSA P-256 over SHA-256 of the manifest's canonical bytes, IEEE P1363 (r||s, 32 bytes each, big-endian).</summary>
public static class ManifestSignature
{
    public const int Length = 64;

    public static byte[] Sign(ECDsa key, ReadOnlySpan<byte> manifestBytes)
    {
        if (key.KeySize != 256)
        {
            throw new ArgumentException("Manifests are signed with an ECDSA P-256 key.", nameof(key));
        }
        return key.SignData(manifestBytes, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
    }
}
