using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using System.Text.Json;
using Cctv.Shared.Domain;

namespace Cctv.Shared.Evidence;

public enum ChainEntryKind
{
    /// <summary>A sealed segment file: its run, sequence, times, size and SHA-256.</summary>
    Segment,
    /// <summary>A stretch without footage, with its reason.</summary>
    Gap,
}

/// <summary>
/// One entry of a camera's append-only chain (docs/evidence-format.md): a sealed segment or a closed gap, at position
/// <see cref="Index"/> (0, 1, 2, ... per camera), holding the hash of the entry before it (<see cref="Previous"/>; 64
/// zeros for index 0). Its hash is SHA-256 of its canonical bytes (<see cref="Encode"/>), so changing, dropping or
/// moving any entry changes every hash after it. Recorder and camera are in every entry: an entry of another recorder's
/// <c>cam1</c> is never mistaken for this one's.
/// </summary>
public sealed record ChainEntry
{
    public const string Format = "cctv-chain/1";

    /// <summary>The <see cref="Previous"/> of the first entry.</summary>
    public static readonly string NoPrevious = new('0', 64);

    private ChainEntry(string recorderId, string cameraId, long index, ChainEntryKind kind, long? run, long? sequence,
        DateTimeOffset start, DateTimeOffset end, long? size, string? sha256, string? reason, string previous)
    {
        RecorderId = recorderId;
        CameraId = cameraId;
        Index = index;
        Kind = kind;
        Run = run;
        Sequence = sequence;
        Start = start;
        End = end;
        Size = size;
        Sha256 = sha256;
        Reason = reason;
        Previous = previous;
        Bytes = Encode();
        Hash = Convert.ToHexStringLower(SHA256.HashData(Bytes));
    }

    public string RecorderId { get; }
    public string CameraId { get; }
    public long Index { get; }
    public ChainEntryKind Kind { get; }
    public long? Run { get; }
    public long? Sequence { get; }
    public DateTimeOffset Start { get; }
    public DateTimeOffset End { get; }
    public long? Size { get; }
    public string? Sha256 { get; }
    public string? Reason { get; }
    public string Previous { get; }

    /// <summary>The canonical bytes (one line, no line feed).</summary>
    public byte[] Bytes { get; }

    /// <summary>SHA-256 of <see cref="Bytes"/>, 64 lowercase hex digits.</summary>
    public string Hash { get; }

    public CameraKey Camera => new(RecorderId, CameraId);

    /// <summary>Two entries are equal when their canonical bytes are (their hashes are).</summary>
    public bool Equals(ChainEntry? other) => other is not null && other.Hash == Hash;

    public override int GetHashCode() => Hash.GetHashCode(StringComparison.Ordinal);

    /// <summary>The recording a segment entry stands for (<see cref="RecordingId.For"/>); null for a gap.</summary>
    public string? RecordingId => Kind == ChainEntryKind.Segment ? Domain.RecordingId.For(RecorderId, CameraId, Run!.Value, Sequence!.Value) : null;

    public static ChainEntry Segment(CameraKey camera, long index, long run, long sequence, DateTimeOffset start, DateTimeOffset end,
        long size, string sha256, string previous)
    {
        Check(camera, index, start, end, previous);
        if (run < 0 || sequence < 0 || size < 0)
        {
            throw new ArgumentException($"A segment entry's run ({run}), sequence ({sequence}) and size ({size}) are non-negative.");
        }
        if (!IsHash(sha256))
        {
            throw new ArgumentException($"A segment entry's SHA-256 is 64 lowercase hex digits, not '{sha256}'.", nameof(sha256));
        }
        return new ChainEntry(camera.RecorderId, camera.CameraId, index, ChainEntryKind.Segment, run, sequence, start, end, size, sha256, null, previous);
    }

    public static ChainEntry Gap(CameraKey camera, long index, DateTimeOffset start, DateTimeOffset end, string reason, string previous)
    {
        Check(camera, index, start, end, previous);
        if (string.IsNullOrEmpty(reason))
        {
            throw new ArgumentException("A gap entry has a reason.", nameof(reason));
        }
        return new ChainEntry(camera.RecorderId, camera.CameraId, index, ChainEntryKind.Gap, null, null, start, end, null, null, reason, previous);
    }

    /// <summary>The entry that follows <paramref name="previous"/> (or starts the chain when it is null), for a segment.</summary>
    public static ChainEntry NextSegment(CameraKey camera, ChainEntry? previous, long run, long sequence, DateTimeOffset start, DateTimeOffset end,
        long size, string sha256) =>
        Segment(camera, previous is null ? 0 : previous.Index + 1, run, sequence, start, end, size, sha256, previous?.Hash ?? NoPrevious);

    /// <summary>The entry that follows <paramref name="previous"/> (or starts the chain when it is null), for a gap.</summary>
    public static ChainEntry NextGap(CameraKey camera, ChainEntry? previous, DateTimeOffset start, DateTimeOffset end, string reason) =>
        Gap(camera, previous is null ? 0 : previous.Index + 1, start, end, reason, previous?.Hash ?? NoPrevious);

    private static void Check(CameraKey camera, long index, DateTimeOffset start, DateTimeOffset end, string previous)
    {
        if (!Identifiers.IsValidSlug(camera.RecorderId) || !Identifiers.IsValidSlug(camera.CameraId))
        {
            throw new ArgumentException($"'{camera}' is not a camera key ({Identifiers.SlugRule}).", nameof(camera));
        }
        if (index is < 0 or > CanonicalJson.MaxInteger)
        {
            throw new ArgumentOutOfRangeException(nameof(index), index, "An entry's index is from 0 to 2^53-1.");
        }
        if (end < start)
        {
            throw new ArgumentException($"An entry ends ({end:O}) before it starts ({start:O}).", nameof(end));
        }
        if (!IsHash(previous))
        {
            throw new ArgumentException($"The previous entry's hash is 64 lowercase hex digits, not '{previous}'.", nameof(previous));
        }
    }

    internal static bool IsHash([NotNullWhen(true)] string? value) =>
        value is { Length: 64 } && value.All(c => c is (>= '0' and <= '9') or (>= 'a' and <= 'f'));

    private byte[] Encode()
    {
        var json = new CanonicalJson()
            .String("format", Format)
            .String("recorder", RecorderId)
            .String("camera", CameraId)
            .Integer("index", Index);
        if (Kind == ChainEntryKind.Segment)
        {
            json.String("kind", "segment").Integer("run", Run!.Value).Integer("seq", Sequence!.Value)
                .Time("start", Start).Time("end", End).Integer("size", Size!.Value).String("sha256", Sha256!);
        }
        else
        {
            json.String("kind", "gap").Time("start", Start).Time("end", End).String("reason", Reason!);
        }
        return json.String("prev", Previous).ToBytes();
    }

    /// <summary>
    /// Reads an entry from its bytes; null, with why, when they are not the canonical encoding of one (unreadable, a
    /// field missing or of the wrong type, or any byte that re-encoding does not give back).
    /// </summary>
    public static ChainEntry? TryParse(ReadOnlySpan<byte> bytes, out string? error)
    {
        ChainEntry? entry = null;
        error = null;
        try
        {
            var json = new JsonRecord(bytes);
            if (json.Str("format") != Format)
            {
                error = $"format is not {Format}";
                return null;
            }
            var camera = new CameraKey(json.Str("recorder"), json.Str("camera"));
            long index = json.Int("index");
            string previous = json.Str("prev");
            entry = json.Str("kind") switch
            {
                "segment" => Segment(camera, index, json.Int("run"), json.Int("seq"), json.Time("start"), json.Time("end"), json.Int("size"), json.Str("sha256"), previous),
                "gap" => Gap(camera, index, json.Time("start"), json.Time("end"), json.Str("reason"), previous),
                string other => throw new FormatException($"kind '{other}' is neither segment nor gap"),
            };
        }
        catch (Exception e) when (e is JsonException or FormatException or ArgumentException or KeyNotFoundException or InvalidOperationException)
        {
            error = e.Message;
            return null;
        }
        if (!entry.Bytes.AsSpan().SequenceEqual(bytes))
        {
            error = "the bytes are not the entry's canonical encoding";
            return null;
        }
        return entry;
    }
}
