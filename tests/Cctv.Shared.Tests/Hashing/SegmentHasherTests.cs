using System.Security.Cryptography;
using Cctv.Shared.Hashing;

namespace Cctv.Shared.Tests.Hashing;

public sealed class SegmentHasherTests
{
    [Fact]
    public async Task HashAsync_OnePass_GivesTheSameDigestsAsSeparatePasses_AndNoMd5()
    {
        byte[] data = RandomNumberGenerator.GetBytes((3 * SegmentHasher.BufferSize) + 12345);
        SegmentDigest digest = await SegmentHasher.HashAsync(new MemoryStream(data), CancellationToken.None);

        Assert.Equal(data.Length, digest.Size);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(data)), digest.Sha256);
        Assert.Equal(Crc32C.Compute(data), digest.Crc32C);
        Assert.Null(digest.Md5); // Cloud Storage needs only the CRC32C: MD5 is off the recorder's path
    }

    [Fact]
    public void Append_InPiecesAcrossSliceBoundaries_EqualsTheWhole_AndFinishResets()
    {
        byte[] data = RandomNumberGenerator.GetBytes((2 * SegmentHasher.SliceSize) + 777);
        using var hasher = new SegmentHasher();
        hasher.Append(data);
        SegmentDigest whole = hasher.Finish();
        foreach (int cut in (int[])[0, 1, SegmentHasher.SliceSize - 1, SegmentHasher.SliceSize, SegmentHasher.SliceSize + 1, data.Length])
        {
            hasher.Append(data.AsSpan(0, cut));
            hasher.Append(data.AsSpan(cut));
            Assert.Equal(whole, hasher.Finish());
        }
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(data)), whole.Sha256);
        Assert.Equal(Crc32C.Compute(data), whole.Crc32C);
    }

    [Fact]
    public void IncludeMd5_AddsTheMd5OfTheSameBytes()
    {
        byte[] data = RandomNumberGenerator.GetBytes(SegmentHasher.SliceSize + 5);
        using var hasher = new SegmentHasher(includeMd5: true);
        hasher.Append(data);
        SegmentDigest digest = hasher.Finish();
#pragma warning disable CA5351 // MD5 is what Cloud Storage reports; we check ours against .NET's
        Assert.Equal(Convert.ToBase64String(MD5.HashData(data)), digest.Md5);
#pragma warning restore CA5351
        Assert.Equal(Crc32C.Compute(data), digest.Crc32C);
    }

    [Fact]
    public async Task HashAsync_EmptyStream_GivesTheDigestsOfNothing()
    {
        SegmentDigest digest = await SegmentHasher.HashAsync(new MemoryStream(), CancellationToken.None);
        Assert.Equal(0, digest.Size);
        Assert.Equal("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", digest.Sha256);
        Assert.Equal("AAAAAA==", digest.Crc32CBase64);
        using var withMd5 = new SegmentHasher(includeMd5: true);
        Assert.Equal("1B2M2Y8AsgTpgAmY7PhCfg==", withMd5.Finish().Md5);
    }

    [Fact]
    public async Task ChecksumFile_GivesTheSizeAndCrc32COfTheFullHash_WithoutSha256()
    {
        byte[] data = RandomNumberGenerator.GetBytes(SegmentHasher.BufferSize + 999);
        string path = Path.Combine(Path.GetTempPath(), $"cctv-checksum-{Guid.NewGuid():N}");
        await File.WriteAllBytesAsync(path, data);
        try
        {
            SegmentDigest full = SegmentHasher.HashFile(path, CancellationToken.None);
            SegmentDigest checksum = SegmentHasher.ChecksumFile(path, CancellationToken.None);

            Assert.Equal((full.Size, full.Crc32C), (checksum.Size, checksum.Crc32C));
            Assert.Equal(Crc32C.Compute(data), checksum.Crc32C);
            Assert.Equal(string.Empty, checksum.Sha256); // a store's check: it never keeps one
            Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(data)), full.Sha256);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
