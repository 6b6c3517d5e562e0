namespace Cctv.Shared.Hashing;

/// <summary>What one pass over a segment file yields: its size and the three digests the system uses.</summary>
/// <param name="Size">Bytes.</param>
/// <param name="Sha256">Lower-case hex; the evidence hash shown to investigators.</param>
/// <param name="Crc32C">The checksum Cloud Storage verifies on upload.</param>
/// <param name="Md5">Base64, as Cloud Storage reports <c>md5Hash</c>.</param>
public sealed record SegmentDigest(long Size, string Sha256, uint Crc32C, string Md5)
{
    public string Crc32CBase64 => Hashing.Crc32C.ToBase64(Crc32C);
}
