using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace Cctv.Shared.Domain;

/// <summary>
/// Deterministic recording IDs: a name-based UUID (RFC 9562 version 5) of recorder, camera, run and
/// sequence number. The same segment always gets the same ID, so every step that uses it can be repeated.
/// </summary>
public static class RecordingId
{
    private static readonly Guid Namespace = new("6c9f0a52-3b7e-4d8e-9a44-0f1c2d3e4b5a");

    public static string For(string recorderId, string cameraId, long run, long sequence) =>
        NameBased(Namespace, $"{recorderId}/{cameraId}/{run}/{sequence}").ToString("D");

    public static bool IsValid(string? id) =>
        id is { Length: 36 } && Guid.TryParseExact(id, "D", out _) && !id.Any(char.IsUpper);

    internal static Guid NameBased(Guid ns, string name)
    {
        Span<byte> nsBytes = stackalloc byte[16];
        ns.TryWriteBytes(nsBytes, bigEndian: true, out _);
        byte[] nameBytes = Encoding.UTF8.GetBytes(name);
        byte[] input = new byte[16 + nameBytes.Length];
        nsBytes.CopyTo(input);
        nameBytes.CopyTo(input, 16);
#pragma warning disable CA5350 // SHA-1 is what RFC 9562 version 5 specifies; this is naming, not security.
        byte[] hash = SHA1.HashData(input);
#pragma warning restore CA5350
        hash[6] = (byte)((hash[6] & 0x0F) | 0x50);
        hash[8] = (byte)((hash[8] & 0x3F) | 0x80);
        return new Guid(hash.AsSpan(0, 16), bigEndian: true);
    }
}
