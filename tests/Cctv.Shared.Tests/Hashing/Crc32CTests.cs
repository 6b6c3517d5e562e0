using System.Security.Cryptography;
using System.Text;
using Cctv.Shared.Hashing;

namespace Cctv.Shared.Tests.Hashing;

public sealed class Crc32CTests
{
    [Theory]
    // The CRC catalogue's check value for CRC-32/ISCSI, and RFC 3720 appendix B.4.
    [InlineData("313233343536373839", 0xE3069283u)]
    [InlineData("0000000000000000000000000000000000000000000000000000000000000000", 0x8A9136AAu)]
    [InlineData("FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF", 0x62A8AB43u)]
    [InlineData("000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F", 0x46DD794Eu)]
    [InlineData("1F1E1D1C1B1A191817161514131211100F0E0D0C0B0A09080706050403020100", 0x113FDB5Cu)]
    [InlineData("", 0u)]
    public void Compute_PublishedVectors_Match(string hex, uint expected)
    {
        byte[] data = Convert.FromHexString(hex);
        Assert.Equal(expected, Crc32C.Compute(data));
        Assert.Equal(expected, ~Crc32C.UpdateSoftware(~0u, data));
    }

    [Fact]
    public void ToBase64_IsBigEndianAsCloudStorageReportsIt()
    {
        Assert.Equal("4waSgw==", Crc32C.ToBase64(Crc32C.Compute(Encoding.ASCII.GetBytes("123456789"))));
        Assert.Equal("AAAAAA==", Crc32C.ToBase64(0));
        Assert.Equal(0xE3069283u, Crc32C.FromBase64("4waSgw=="));
    }

    [Theory]
    [InlineData("not base64")]
    [InlineData("AAAAAAAA")]
    public void FromBase64_RejectsWhatIsNotAFourByteChecksum(string value) =>
        Assert.Throws<FormatException>(() => Crc32C.FromBase64(value));

    [Fact]
    public void HardwareAndSoftwarePaths_AgreeOnRandomBuffersOfEveryAlignment()
    {
        byte[] data = RandomNumberGenerator.GetBytes(4099);
        for (int offset = 0; offset < 9; offset++)
        {
            for (int length = 0; length < 70; length++)
            {
                ReadOnlySpan<byte> slice = data.AsSpan(offset, length);
                Assert.Equal(~Crc32C.UpdateSoftware(~0u, slice), Crc32C.Compute(slice));
            }
        }
        Assert.Equal(~Crc32C.UpdateSoftware(~0u, data), Crc32C.Compute(data));
    }

    [Fact]
    public void Append_InPieces_EqualsComputeOverTheWhole()
    {
        byte[] data = RandomNumberGenerator.GetBytes(10_000);
        uint crc = 0;
        foreach (int cut in (int[])[0, 1, 7, 100, 4096, 9999])
        {
            crc = 0;
            crc = Crc32C.Append(crc, data.AsSpan(0, cut));
            crc = Crc32C.Append(crc, data.AsSpan(cut));
            Assert.Equal(Crc32C.Compute(data), crc);
        }
    }
}
