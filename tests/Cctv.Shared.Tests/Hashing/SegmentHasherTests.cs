using System.Security.Cryptography;
using Cctv.Shared.Hashing;

namespace Cctv.Shared.Tests.Hashing;

public sealed class SegmentHasherTests
{
    [Fact]
    public async Task HashAsync_OnePass_GivesTheSameDigestsAsSeparatePasses()
    {
        byte[] data = RandomNumberGenerator.GetBytes((3 * SegmentHasher.BufferSize) + 12345);
        SegmentDigest digest = await SegmentHasher.HashAsync(new MemoryStream(data), CancellationToken.None);

        Assert.Equal(data.Length, digest.Size);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(data)), digest.Sha256);
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
        Assert.Equal("1B2M2Y8AsgTpgAmY7PhCfg==", digest.Md5);
        Assert.Equal("AAAAAA==", digest.Crc32CBase64);
    }
}
