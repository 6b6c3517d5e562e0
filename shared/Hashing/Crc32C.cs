using System.Buffers.Binary;
using System.IO.Hashing;

namespace Cctv.Shared.Hashing;

/// <summary>
/// CRC-32C (Castagnoli), the checksum Cloud Storage verifies, and the form Cloud Storage writes it in.
/// The checksum itself is <see cref="Crc32"/> of <c>System.IO.Hashing</c> with <see cref="Crc32ParameterSet.Crc32C"/>
/// (vectorised carry-less-multiply folding where the CPU has it); what stays here is only the wire form.
/// Incremental hashing: <c>new Crc32(Crc32ParameterSet.Crc32C)</c>, as <see cref="SegmentHasher"/> does.
/// </summary>
public static class Crc32C
{
    /// <summary>The CRC-32C of <paramref name="data"/>.</summary>
    public static uint Compute(ReadOnlySpan<byte> data) => Crc32.HashToUInt32(Crc32ParameterSet.Crc32C, data);

    /// <summary>The form Cloud Storage uses in object metadata: the big-endian bytes, base64.</summary>
    public static string ToBase64(uint crc)
    {
        Span<byte> bytes = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(bytes, crc);
        return Convert.ToBase64String(bytes);
    }

    /// <summary>Parses the Cloud Storage form; throws <see cref="FormatException"/> on anything else.</summary>
    public static uint FromBase64(string value)
    {
        Span<byte> bytes = stackalloc byte[8];
        if (!Convert.TryFromBase64String(value, bytes, out int written) || written != 4)
        {
            throw new FormatException($"'{value}' is not a base64-encoded big-endian CRC32C.");
        }
        return BinaryPrimitives.ReadUInt32BigEndian(bytes);
    }
}
