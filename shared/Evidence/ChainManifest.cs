using System.Security.Cryptography;
using System.Text.Json;
using Cctv.Shared.Domain;

namespace Cctv.Shared.Evidence;

/// <summary>
/// A signed statement of a camera's chain (docs/evidence-format.md): "entries <see cref="First"/> to <see cref="Last"/>
/// of this camera's chain end in <see cref="Head"/>", the <see cref="Sequence"/>-th manifest of that chain, following the
/// manifest whose hash is <see cref="PreviousManifest"/> (64 zeros for the first), signed at <see cref="SignedAt"/> with the
/// key whose fingerprint is <see cref="KeyFingerprint"/>. Manifests cover consecutive ranges: each starts where the
/// one before it ended. Its hash is SHA-256 of its canonical bytes; the signature is over the same bytes.
/// </summary>
public sealed record ChainManifest
{
    public const string Format = "cctv-manifest/1";

    public static readonly string NoPrevious = ChainEntry.NoPrevious;

    public ChainManifest(CameraKey camera, string keyFingerprint, long sequence, long first, long last, string head, string previousManifest, DateTimeOffset signedAt)
    {
        if (!Identifiers.IsValidSlug(camera.RecorderId) || !Identifiers.IsValidSlug(camera.CameraId))
        {
            throw new ArgumentException($"'{camera}' is not a camera key ({Identifiers.SlugRule}).", nameof(camera));
        }
        if (!ChainEntry.IsHash(keyFingerprint) || !ChainEntry.IsHash(head) || !ChainEntry.IsHash(previousManifest))
        {
            throw new ArgumentException("A manifest's key fingerprint, head and previous manifest are 64 lowercase hex digits each.");
        }
        if (sequence < 0 || first < 0 || last < first)
        {
            throw new ArgumentException($"A manifest covers at least one entry: first ({first}) <= last ({last}), sequence {sequence} >= 0.");
        }
        Camera = camera;
        KeyFingerprint = keyFingerprint;
        Sequence = sequence;
        First = first;
        Last = last;
        Head = head;
        PreviousManifest = previousManifest;
        SignedAt = signedAt;
        Bytes = new CanonicalJson()
            .String("format", Format)
            .String("recorder", camera.RecorderId)
            .String("camera", camera.CameraId)
            .String("key", keyFingerprint)
            .Integer("seq", sequence)
            .Integer("first", first)
            .Integer("last", last)
            .String("head", head)
            .String("prev_manifest", previousManifest)
            .Time("signed_at", signedAt)
            .ToBytes();
        Hash = Convert.ToHexStringLower(SHA256.HashData(Bytes));
    }

    public CameraKey Camera { get; }
    public string KeyFingerprint { get; }
    public long Sequence { get; }
    public long First { get; }
    public long Last { get; }
    public string Head { get; }
    public string PreviousManifest { get; }
    public DateTimeOffset SignedAt { get; }

    /// <summary>The canonical bytes: what is hashed and signed.</summary>
    public byte[] Bytes { get; }

    public string Hash { get; }

    /// <summary>Two manifests are equal when their canonical bytes are (their hashes are).</summary>
    public bool Equals(ChainManifest? other) => other is not null && other.Hash == Hash;

    public override int GetHashCode() => Hash.GetHashCode(StringComparison.Ordinal);

    /// <summary>The manifest after <paramref name="previous"/> (or the first when it is null), covering entries up to <paramref name="head"/>.</summary>
    public static ChainManifest Next(ChainManifest? previous, CameraKey camera, string keyFingerprint, ChainEntry head, DateTimeOffset signedAt) =>
        new(camera, keyFingerprint, previous is null ? 0 : previous.Sequence + 1, previous is null ? 0 : previous.Last + 1, head.Index, head.Hash,
            previous?.Hash ?? NoPrevious, signedAt);

    /// <summary>Reads a manifest from its bytes; null, with why, when they are not the canonical encoding of one.</summary>
    public static ChainManifest? TryParse(ReadOnlySpan<byte> bytes, out string? error)
    {
        ChainManifest manifest;
        error = null;
        try
        {
            var json = new JsonRecord(bytes);
            if (json.Str("format") != Format)
            {
                error = $"format is not {Format}";
                return null;
            }
            manifest = new ChainManifest(new CameraKey(json.Str("recorder"), json.Str("camera")), json.Str("key"), json.Int("seq"), json.Int("first"),
                json.Int("last"), json.Str("head"), json.Str("prev_manifest"), json.Time("signed_at"));
        }
        catch (Exception e) when (e is JsonException or FormatException or ArgumentException)
        {
            error = e.Message;
            return null;
        }
        if (!manifest.Bytes.AsSpan().SequenceEqual(bytes))
        {
            error = "the bytes are not the manifest's canonical encoding";
            return null;
        }
        return manifest;
    }
}

/// <summary>A manifest's bytes as received and the signature that came with them (neither checked yet: the verifier does).</summary>
public sealed record SignedManifest(byte[] Bytes, byte[] Signature)
{
    public static SignedManifest Sign(ChainManifest manifest, ECDsa key) => new(manifest.Bytes, ManifestSignature.Sign(key, manifest.Bytes));
}
