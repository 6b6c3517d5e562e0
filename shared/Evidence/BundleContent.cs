using System.Globalization;
using System.Text.Json;
using Cctv.Shared.Domain;

namespace Cctv.Shared.Evidence;

/// <summary>
/// Everything an export puts into an evidence bundle (docs/evidence-bundle.md) besides the segments' bytes, which
/// <see cref="BundleWriter"/> opens one by one.
/// </summary>
/// <param name="Camera">The one camera whose chain the bundle carries.</param>
/// <param name="CameraName">The camera's display name, for the reader (unsigned).</param>
/// <param name="From">The start of the requested range (inclusive).</param>
/// <param name="To">The end of the requested range (exclusive).</param>
/// <param name="Manifests">The manifest files covering the range, each exactly as the recorder signed and uploaded it (<see cref="ManifestFile"/> bytes).</param>
/// <param name="Keys">The recorder's registered public keys (after a rotation, old ones too).</param>
/// <param name="Gaps">The catalog's gaps of this camera in the range (the signed chain has its own gap entries).</param>
/// <param name="Clock">The clock state of each run, by run number, as one JSON object each (whatever the catalog keeps).</param>
/// <param name="Custody">Who exported it, when, how, and the reads of what it exports.</param>
/// <param name="Salvaged">The camera's salvaged recordings in the range (docs/live-tail.md, "What salvaged means"): finished
/// by the cloud after the recorder went silent, so no chain entry signs them; the bundle carries them apart, under the
/// cloud's SHA-256. Their <see cref="SalvagedSegment.File"/> is <see cref="BundleLayout.SalvagedFile"/>.</param>
public sealed record ExportContent(
    CameraKey Camera,
    string? CameraName,
    DateTimeOffset From,
    DateTimeOffset To,
    IReadOnlyList<byte[]> Manifests,
    IReadOnlyList<EvidencePublicKey> Keys,
    IReadOnlyList<RecordingGap> Gaps,
    IReadOnlyDictionary<long, JsonElement> Clock,
    CustodyRecord Custody,
    IReadOnlyList<SalvagedSegment>? Salvaged = null);

/// <summary>
/// A salvaged segment as the catalog holds it and the index lists it: the bytes the cloud archived when the recorder went
/// silent, with the SHA-256 and size the cloud computed (no edge checksum, no chain entry: the recorder never sealed it),
/// the covered time read from the media, the reason, and its custody (who finished the upload, and when it was archived).
/// Unsigned: a verifier checks the file against <see cref="Sha256"/> and reports it apart from the signed footage.
/// </summary>
/// <param name="FinishedBy">Who finished the upload (the reconcile sweep's salvage).</param>
/// <param name="FinishedAt">When the finished object was archived; null when the catalog does not say.</param>
public sealed record SalvagedSegment(
    string File,
    string RecordingId,
    long Run,
    long Sequence,
    DateTimeOffset Start,
    DateTimeOffset End,
    long Size,
    string Sha256,
    string Reason,
    string FinishedBy,
    DateTimeOffset? FinishedAt);

/// <summary>The chain of custody of one export, as the exporting service states it (unsigned: a record, not proof).</summary>
/// <param name="ExportedBy">The principal that asked for the export (a user's e-mail, an operator, a service account).</param>
/// <param name="ExportedAt">When the bundle was written.</param>
/// <param name="Credential">Which credential the request came with (its kind and a non-secret identifier, never the secret).</param>
/// <param name="Request">Which request: its ID, route or command line.</param>
/// <param name="Reads">Every recorded read of the exported footage (the audit log's records for it).</param>
public sealed record CustodyRecord(string ExportedBy, DateTimeOffset ExportedAt, string Credential, string Request, IReadOnlyList<CustodyRead> Reads);

/// <summary>One read of footage: who read what, when, how (get_url, download, stream, playlist, export) and from where.</summary>
public sealed record CustodyRead(DateTimeOffset At, string Who, string Action, string What, string? From);

/// <summary>The names inside a bundle. A verifier finds every file by these rules, never through the index.</summary>
public static class BundleLayout
{
    public const string Format = "cctv-evidence-bundle/1";
    public const string Index = "bundle.json";
    public const string Readme = "README.txt";
    public const string KeysFolder = "keys/";
    public const string ManifestsFolder = "manifests/";
    public const string SegmentsFolder = "segments/";
    public const string SalvagedFolder = "salvaged/";

    /// <summary>Who finished a salvaged segment's upload, as the index's custody of it names it.</summary>
    public const string SalvageFinisher = "the cloud's reconcile sweep (recorder silent; the sweep finished its live upload, finalize archived it)";

    /// <summary>A segment's file: named by its run and sequence, which its signed chain entry holds.</summary>
    public static string SegmentFile(long run, long sequence) =>
        string.Create(CultureInfo.InvariantCulture, $"{SegmentsFolder}{run:D6}-{sequence:D6}.mp4");

    /// <summary>
    /// A salvaged segment's file: named by the run and sequence the recorder gave its live upload, in a folder of its own,
    /// so it can never stand in for (or be taken for) a signed segment's file.
    /// </summary>
    public static string SalvagedFile(long run, long sequence) =>
        string.Create(CultureInfo.InvariantCulture, $"{SalvagedFolder}{run:D6}-{sequence:D6}.mp4");

    public static string ManifestFile(long sequence) => string.Create(CultureInfo.InvariantCulture, $"{ManifestsFolder}{sequence:D8}{Evidence.ManifestFile.Extension}");

    public static string KeyFile(EvidencePublicKey key) => $"{KeysFolder}{key.Fingerprint}.pem";
}

/// <summary>A file that is not a readable evidence bundle: not a zip, no index, a name outside the layout, a file too large. Exit code 2.</summary>
public sealed class BundleFormatException(string message, Exception? inner = null) : Exception(message, inner);
