using System.Buffers;
using System.IO.Hashing;
using System.Security.Cryptography;

namespace Cctv.Shared.Hashing;

/// <summary>
/// Computes SHA-256, CRC32C and the size of a stream in one streaming pass, in bounded memory.
/// Also usable incrementally (<see cref="Append"/>) by code that is already copying the bytes somewhere.
/// </summary>
/// <remarks>
/// No MD5 by default: Cloud Storage verifies an upload by the CRC32C we send, and MD5 cost more than SHA-256 and
/// CRC32C together (0.51 GB/s for the three against 1.7 GB/s for SHA-256 alone). Segments are hashed without it,
/// uploads carry none, and the catalog's <c>md5</c> is null for new recordings (old rows keep theirs).
/// Only a stand-in for Cloud Storage that must check an <c>md5Hash</c> a client declared asks for it
/// (<see cref="SegmentHasher(bool)"/>).
/// </remarks>
public sealed class SegmentHasher : IDisposable
{
    /// <summary>
    /// How much a reader hands over at once (<see cref="HashFile"/>, <see cref="HashAsync"/>, the local object store's copy):
    /// under the runtime's large-object threshold (85,000 bytes), so a buffer per file is a short-lived young object. At
    /// 1 MiB each buffer was a large object; at 16 cameras with 4 s segments those allocations, with the live tails'
    /// quantum-sized ones, set off a collection of the oldest generation about once a second (dotnet-counters, issue 15).
    /// </summary>
    public const int BufferSize = 64 * 1024;

    /// <summary>
    /// The slice each digest sees in turn: small enough that the bytes SHA-256 has just read are still in the
    /// core's own cache when CRC32C reads them, large enough that the per-call cost does not show.
    /// </summary>
    public const int SliceSize = 64 * 1024;

    private readonly IncrementalHash? _sha256;
    private readonly Crc32 _crc32C = new(Crc32ParameterSet.Crc32C);
    private readonly IncrementalHash? _md5;
    private long _size;

    /// <param name="includeMd5">Also compute MD5 (base64 in <see cref="SegmentDigest.Md5"/>): only for checking an MD5 a
    /// client declared, never on the recorder's path.</param>
    /// <param name="includeSha256">Compute SHA-256 (the evidence hash). A storage server checking what it received needs only
    /// the size and CRC32C (and MD5 when declared): without SHA-256 its pass costs a fraction, and
    /// <see cref="SegmentDigest.Sha256"/> is empty.</param>
    public SegmentHasher(bool includeMd5 = false, bool includeSha256 = true)
    {
        _sha256 = includeSha256 ? IncrementalHash.CreateHash(HashAlgorithmName.SHA256) : null;
#pragma warning disable CA5351 // MD5 is a checksum some clients declare to a storage server, not a security measure.
        _md5 = includeMd5 ? IncrementalHash.CreateHash(HashAlgorithmName.MD5) : null;
#pragma warning restore CA5351
    }

    public void Append(ReadOnlySpan<byte> data)
    {
        _size += data.Length;
        while (!data.IsEmpty)
        {
            ReadOnlySpan<byte> slice = data[..Math.Min(data.Length, SliceSize)];
            _sha256?.AppendData(slice);
            _crc32C.Append(slice);
            _md5?.AppendData(slice);
            data = data[slice.Length..];
        }
    }

    /// <summary>The digest of everything appended so far; the hasher is reset afterwards.</summary>
    public SegmentDigest Finish()
    {
        var digest = new SegmentDigest(
            _size,
            _sha256 is null ? string.Empty : Convert.ToHexStringLower(_sha256.GetHashAndReset()),
            _crc32C.GetCurrentHashAsUInt32(),
            _md5 is null ? null : Convert.ToBase64String(_md5.GetHashAndReset()));
        _crc32C.Reset();
        _size = 0;
        return digest;
    }

    public static Task<SegmentDigest> HashAsync(Stream stream, CancellationToken cancellationToken) =>
        HashAsync(stream, new SegmentHasher(), cancellationToken);

    /// <summary>
    /// The digest of a file, read synchronously on the calling thread. A file on local disk is read from the page cache in
    /// microseconds per buffer; asynchronous reads of a file on Linux are the same blocking reads, each handed to a thread
    /// pool worker and back: a thread switch per buffer that buys nothing.
    /// </summary>
    public static SegmentDigest HashFile(string path, CancellationToken cancellationToken) =>
        HashFile(path, new SegmentHasher(), cancellationToken);

    /// <summary>The size and CRC32C of a file, without SHA-256: what a storage server checks a received object by.</summary>
    public static SegmentDigest ChecksumFile(string path, CancellationToken cancellationToken) =>
        HashFile(path, new SegmentHasher(includeSha256: false), cancellationToken);

    private static SegmentDigest HashFile(string path, SegmentHasher hasher, CancellationToken cancellationToken)
    {
        using SegmentHasher _ = hasher;
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
        // Pooled: the sealer hashes every segment (and the uploader again when a store refused its checksum), and a new
        // buffer each time was a quarter of all the recorder allocated at 16 cameras (an allocation trace of the agent, issue 15).
        byte[] buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
        try
        {
            int read;
            while ((read = stream.Read(buffer, 0, BufferSize)) > 0)
            {
                cancellationToken.ThrowIfCancellationRequested();
                hasher.Append(buffer.AsSpan(0, read));
            }
            return hasher.Finish();
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static async Task<SegmentDigest> HashAsync(Stream stream, SegmentHasher hasher, CancellationToken cancellationToken)
    {
        using SegmentHasher _ = hasher;
        byte[] buffer = new byte[BufferSize]; // under the large-object threshold: see BufferSize
        int read;
        while ((read = await stream.ReadAsync(buffer, cancellationToken)) > 0)
        {
            hasher.Append(buffer.AsSpan(0, read));
        }
        return hasher.Finish();
    }

    public void Dispose()
    {
        _sha256?.Dispose();
        _md5?.Dispose();
    }
}
