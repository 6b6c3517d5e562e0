using System.Security.Cryptography;
using BenchmarkDotNet.Attributes;
using Cctv.Shared.Gcp.Storage;
using Cctv.Shared.Local;
using Cctv.Shared.Ports;

namespace Cctv.Benchmarks.Playback;

/// <summary>
/// One signed URL of a recording as <c>get_url</c> asks for it (GET, 120 minutes, inline disposition and type):
/// V4 GOOG4-RSA-SHA256 with a 2048-bit service-account key (what sign-url and a key-holding deployment do; IAM signBlob
/// adds a network round trip per URL instead of the RSA operation), and the embedded backend's HMAC-SHA256 URL.
/// Single-threaded, so the rate is per core. Not sealed: BenchmarkDotNet derives from it.
/// </summary>
public class SigningBenchmarks
{
    private static readonly DateTimeOffset Now = new(2026, 1, 15, 3, 10, 0, TimeSpan.Zero);
    private readonly SignedUrlRequest _request = new("cctv-archive", "recordings/gate/2026/01/15/03/6c9f0a52-3b7e-4d8e-9a44-0f1c2d3e4b5a.mp4",
        TimeSpan.FromMinutes(120), "inline; filename=\"gate_20260115T031000Z.mp4\"", "video/mp4", new Uri("http://127.0.0.1:8080"));
    private GcsUrlSigner _rsa = null!;
    private HmacUrlSigner _hmac = null!;
    private RSA? _key;

    [GlobalSetup]
    public void Setup()
    {
        _key = RSA.Create(2048);
        var clock = new FixedClock(Now);
        _rsa = new GcsUrlSigner(new ServiceAccountKeySigner("cctv-url-signer@project.iam.gserviceaccount.com", _key), clock);
        _hmac = new HmacUrlSigner(RandomNumberGenerator.GetBytes(32), clock);
    }

    [GlobalCleanup]
    public void Cleanup() => _key?.Dispose();

    [Benchmark(Description = "V4 RSA-SHA256, service-account key")]
    public Task<Uri> V4RsaKey() => _rsa.SignAsync(_request, CancellationToken.None);

    [Benchmark(Description = "HMAC-SHA256, embedded backend")]
    public Task<Uri> HmacLocal() => _hmac.SignAsync(_request, CancellationToken.None);

    private sealed class FixedClock(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
