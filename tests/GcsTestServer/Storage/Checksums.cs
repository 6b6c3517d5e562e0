using System.IO.Hashing;
using System.Security.Cryptography;
using Crc = Cctv.Shared.Hashing.Crc32C;
using Cctv.Testing.Gcs.Http;
using Microsoft.AspNetCore.Http;

namespace Cctv.Testing.Gcs.Storage;

/// <summary>The checksums of content, and the comparison with what a client declared.</summary>
internal readonly record struct Checksums(uint Crc32C, byte[] Md5)
{
    public string Crc32CBase64 => Crc.ToBase64(Crc32C);

    public string Md5Base64 => Convert.ToBase64String(Md5);

#pragma warning disable CA5351 // MD5 is what the GCS protocol reports (md5Hash); it is a checksum here, not security.
    public static Checksums Of(ReadOnlySpan<byte> data) => new(Crc32.HashToUInt32(Crc32ParameterSet.Crc32C, data), MD5.HashData(data));
#pragma warning restore CA5351

    /// <summary>Throws 400 when a declared checksum differs from the content's; null declarations are not checked.</summary>
    public void Verify(DeclaredChecksums declared)
    {
        if (declared.Crc32C is string crc && Crc.FromBase64(crc) != Crc32C)
        {
            throw GcsException.Invalid($"Provided CRC32C \"{crc}\" doesn't match calculated CRC32C \"{Crc32CBase64}\".");
        }
        if (declared.Md5 is string md5 && !Convert.FromBase64String(md5).AsSpan().SequenceEqual(Md5))
        {
            throw GcsException.Invalid($"Provided MD5 hash \"{md5}\" doesn't match calculated MD5 hash \"{Md5Base64}\".");
        }
    }
}

/// <summary>Checksums a client declared (object metadata or an <c>X-Goog-Hash</c> header), validated for form.</summary>
internal readonly record struct DeclaredChecksums(string? Crc32C, string? Md5)
{
    public static DeclaredChecksums Create(string? crc32c, string? md5, string source)
    {
        if (crc32c is not null)
        {
            try
            {
                Crc.FromBase64(crc32c);
            }
            catch (FormatException)
            {
                throw GcsException.Invalid($"Invalid crc32c in {source}: '{crc32c}' is not the base64 of 4 bytes.");
            }
        }
        if (md5 is not null)
        {
            Span<byte> bytes = stackalloc byte[24];
            if (!Convert.TryFromBase64String(md5, bytes, out int written) || written != 16)
            {
                throw GcsException.Invalid($"Invalid md5Hash in {source}: '{md5}' is not the base64 of 16 bytes.");
            }
        }
        return new DeclaredChecksums(crc32c, md5);
    }

    /// <summary>From <c>X-Goog-Hash: crc32c=...,md5=...</c> (one or several headers).</summary>
    public static DeclaredChecksums FromHeader(IHeaderDictionary headers)
    {
        string? crc = null;
        string? md5 = null;
        foreach (string? header in headers["X-Goog-Hash"])
        {
            foreach (string part in (header ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                int eq = part.IndexOf('=', StringComparison.Ordinal);
                if (eq <= 0)
                {
                    throw GcsException.Invalid($"Invalid X-Goog-Hash entry '{part}'.");
                }
                string name = part[..eq].Trim();
                string value = part[(eq + 1)..].Trim();
                if (name.Equals("crc32c", StringComparison.OrdinalIgnoreCase))
                {
                    crc = value;
                }
                else if (name.Equals("md5", StringComparison.OrdinalIgnoreCase))
                {
                    md5 = value;
                }
            }
        }
        return Create(crc, md5, "X-Goog-Hash");
    }
}
