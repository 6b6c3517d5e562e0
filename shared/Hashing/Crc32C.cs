using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;

namespace Cctv.Shared.Hashing;

/// <summary>
/// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), the checksum Cloud Storage verifies.
/// Uses the CPU's CRC32 instruction (SSE4.2 or ARMv8 CRC) where present, slicing-by-8 tables elsewhere.
/// </summary>
public static class Crc32C
{
    private const uint Polynomial = 0x82F63B78u;
    private static readonly uint[] Table = BuildTable();

    /// <summary>True when the hardware path is used on this machine.</summary>
    public static bool IsHardwareAccelerated => Sse42.X64.IsSupported || Sse42.IsSupported || Crc32.Arm64.IsSupported;

    /// <summary>The CRC-32C of <paramref name="data"/>.</summary>
    public static uint Compute(ReadOnlySpan<byte> data) => Append(0, data);

    /// <summary>Continues a CRC-32C over more data: <c>Append(Compute(a), b) == Compute(a + b)</c>.</summary>
    public static uint Append(uint crc, ReadOnlySpan<byte> data)
    {
        uint state = ~crc;
        state = IsHardwareAccelerated ? UpdateHardware(state, data) : UpdateSoftware(state, data);
        return ~state;
    }

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

    internal static uint UpdateSoftware(uint state, ReadOnlySpan<byte> data)
    {
        uint[] t = Table;
        while (data.Length >= 8)
        {
            uint low = BinaryPrimitives.ReadUInt32LittleEndian(data) ^ state;
            uint high = BinaryPrimitives.ReadUInt32LittleEndian(data[4..]);
            state = t[(7 * 256) + (low & 0xFF)] ^ t[(6 * 256) + ((low >> 8) & 0xFF)]
                  ^ t[(5 * 256) + ((low >> 16) & 0xFF)] ^ t[(4 * 256) + (low >> 24)]
                  ^ t[(3 * 256) + (high & 0xFF)] ^ t[(2 * 256) + ((high >> 8) & 0xFF)]
                  ^ t[(1 * 256) + ((high >> 16) & 0xFF)] ^ t[high >> 24];
            data = data[8..];
        }
        foreach (byte b in data)
        {
            state = t[(state ^ b) & 0xFF] ^ (state >> 8);
        }
        return state;
    }

    private static uint UpdateHardware(uint state, ReadOnlySpan<byte> data)
    {
        ReadOnlySpan<ulong> words = MemoryMarshal.Cast<byte, ulong>(data);
        if (Sse42.X64.IsSupported)
        {
            ulong s = state;
            foreach (ulong w in words)
            {
                s = Sse42.X64.Crc32(s, w);
            }
            state = (uint)s;
        }
        else if (Crc32.Arm64.IsSupported)
        {
            foreach (ulong w in words)
            {
                state = Crc32.Arm64.ComputeCrc32C(state, w);
            }
        }
        else
        {
            foreach (ulong w in words)
            {
                state = Sse42.Crc32(Sse42.Crc32(state, (uint)w), (uint)(w >> 32));
            }
        }

        foreach (byte b in data[(words.Length * 8)..])
        {
            state = Sse42.IsSupported ? Sse42.Crc32(state, b) : Crc32.ComputeCrc32C(state, b);
        }
        return state;
    }

    private static uint[] BuildTable()
    {
        var table = new uint[8 * 256];
        for (uint i = 0; i < 256; i++)
        {
            uint c = i;
            for (int k = 0; k < 8; k++)
            {
                c = (c & 1) != 0 ? (c >> 1) ^ Polynomial : c >> 1;
            }
            table[i] = c;
        }
        for (int slice = 1; slice < 8; slice++)
        {
            for (int i = 0; i < 256; i++)
            {
                uint prev = table[((slice - 1) * 256) + i];
                table[(slice * 256) + i] = (prev >> 8) ^ table[prev & 0xFF];
            }
        }
        return table;
    }
}
