using System.Security.Cryptography;

namespace Cctv.Shared.Hashing;

/// <summary>
/// Computes SHA-256, CRC32C, MD5 and the size of a stream in one streaming pass, in bounded memory.
/// Also usable incrementally (<see cref="Append"/>) by code that is already copying the bytes somewhere.
/// </summary>
public sealed class SegmentHasher : IDisposable
{
    public const int BufferSize = 1 << 20;

    private readonly IncrementalHash _sha256 = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private readonly IncrementalHash _md5 = IncrementalHash.CreateHash(HashAlgorithmName.MD5);
    private uint _crc;
    private long _size;

    public void Append(ReadOnlySpan<byte> data)
    {
        _sha256.AppendData(data);
        _md5.AppendData(data);
        _crc = Crc32C.Append(_crc, data);
        _size += data.Length;
    }

    /// <summary>The digest of everything appended so far; the hasher is reset afterwards.</summary>
    public SegmentDigest Finish()
    {
        var digest = new SegmentDigest(
            _size,
            Convert.ToHexStringLower(_sha256.GetHashAndReset()),
            _crc,
            Convert.ToBase64String(_md5.GetHashAndReset()));
        _crc = 0;
        _size = 0;
        return digest;
    }

    public static async Task<SegmentDigest> HashAsync(Stream stream, CancellationToken cancellationToken)
    {
        using var hasher = new SegmentHasher();
        byte[] buffer = new byte[BufferSize];
        int read;
        while ((read = await stream.ReadAsync(buffer, cancellationToken)) > 0)
        {
            hasher.Append(buffer.AsSpan(0, read));
        }
        return hasher.Finish();
    }

    public static async Task<SegmentDigest> HashFileAsync(string path, CancellationToken cancellationToken)
    {
        await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan | FileOptions.Asynchronous);
        return await HashAsync(stream, cancellationToken);
    }

    public void Dispose()
    {
        _sha256.Dispose();
        _md5.Dispose();
    }
}
