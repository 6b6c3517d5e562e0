using System.Security.Cryptography;
using System.Text;
using Cctv.Shared.Hashing;

namespace Cctv.Shared.Tests.Hashing;

/// <summary>CRC32C as <see cref="Crc32C"/> computes it (System.IO.Hashing's <c>Crc32ParameterSet.Crc32C</c>) and writes it for Cloud Storage.</summary>
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
        Assert.Equal(expected, BitByBit(data));
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

    /// <summary>
    /// The library switches to vectorised folding above some length; the published vectors are 32 bytes at most, so
    /// longer inputs of every alignment are checked against the definition itself (one bit at a time, the reflected
    /// Castagnoli polynomial), which shares no code with it.
    /// </summary>
    [Fact]
    public void Compute_AgreesWithTheBitByBitDefinition_OnEveryAlignmentAndManyLengths()
    {
        byte[] data = RandomNumberGenerator.GetBytes(70_000);
        for (int offset = 0; offset < 9; offset++)
        {
            foreach (int length in Enumerable.Range(0, 300).Concat([511, 512, 513, 1023, 4099, 65_536, 69_000]))
            {
                ReadOnlySpan<byte> slice = data.AsSpan(offset, length);
                Assert.Equal(BitByBit(slice), Crc32C.Compute(slice));
            }
        }
    }

    /// <summary>CRC-32C by its definition: reflected polynomial 0x82F63B78, initial value and final XOR 0xFFFFFFFF.</summary>
    private static uint BitByBit(ReadOnlySpan<byte> data)
    {
        uint crc = 0xFFFFFFFFu;
        foreach (byte b in data)
        {
            crc ^= b;
            for (int k = 0; k < 8; k++)
            {
                crc = (crc & 1) != 0 ? (crc >> 1) ^ 0x82F63B78u : crc >> 1;
            }
        }
        return ~crc;
    }
}
