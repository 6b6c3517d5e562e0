namespace Cctv.Shared.Hashing;

/// <summary>What one pass over a segment file yields: its size and the digests the system uses.</summary>
/// <param name="Size">Bytes.</param>
/// <param name="Sha256">Lower-case hex; the evidence hash shown to investigators. Empty from a storage server's
/// checksum-only pass (<see cref="SegmentHasher.ChecksumFile"/>), which never keeps one.</param>
/// <param name="Crc32C">The checksum Cloud Storage verifies on upload.</param>
/// <param name="Md5">Base64, as Cloud Storage reports <c>md5Hash</c>; null unless the hasher was asked for it
/// (see <see cref="SegmentHasher"/>: segments are hashed without MD5).</param>
public sealed record SegmentDigest(long Size, string Sha256, uint Crc32C, string? Md5 = null)
{
    public string Crc32CBase64 => Hashing.Crc32C.ToBase64(Crc32C);
}
