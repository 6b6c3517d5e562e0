using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using BenchmarkDotNet.Attributes;
using Cctv.Shared.Hashing;

namespace Cctv.Benchmarks.Hashing;

/// <summary>
/// What hashing a segment costs next to just touching its bytes once: a plain memory copy of the same buffer
/// (the baseline), CRC32C alone, SHA-256 alone, MD5 alone (for context: the hasher no longer computes it), and the
/// one-pass hasher the sealer uses (SHA-256 + CRC32C + size), fed in <see cref="SegmentHasher.BufferSize"/> pieces as
/// <see cref="SegmentHasher.HashAsync"/> feeds it from a file. Single-threaded; the buffer is in memory.
/// Not sealed: BenchmarkDotNet derives from it.
/// </summary>
[SuppressMessage("Security", "CA5351", Justification = "MD5 is measured for context only, not a security measure")]
public class HashingBenchmarks
{
    private byte[] _source = [];
    private byte[] _destination = [];

    /// <summary>4 MiB: a typical segment; 64 MiB: beyond a core's own caches.</summary>
    [Params(4 * 1024 * 1024, 64 * 1024 * 1024)]
    public int Bytes { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _source = new byte[Bytes];
        new Random(1).NextBytes(_source);
        _destination = new byte[Bytes];
    }

    [Benchmark(Baseline = true, Description = "memory copy (Span.CopyTo)")]
    public void MemoryCopy() => _source.AsSpan().CopyTo(_destination);

    [Benchmark(Description = "CRC32C alone")]
    public uint Crc32COnly() => Crc32C.Compute(_source);

    [Benchmark(Description = "SHA-256 alone")]
    public int Sha256Only() => SHA256.HashData(_source, _destination);

    [Benchmark(Description = "MD5 alone (not hashed any more)")]
    public int Md5Only() => MD5.HashData(_source, _destination);

    [Benchmark(Description = "one-pass hasher (SHA-256+CRC32C)")]
    public SegmentDigest OnePass()
    {
        using var hasher = new SegmentHasher();
        ReadOnlySpan<byte> rest = _source;
        while (rest.Length > 0)
        {
            int n = Math.Min(rest.Length, SegmentHasher.BufferSize);
            hasher.Append(rest[..n]);
            rest = rest[n..];
        }
        return hasher.Finish();
    }
}
