using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Cctv.Testing.Gcs;
using Cctv.TestSupport;

namespace Cctv.Gcs.Tests.TestServer;

/// <summary>
/// The real rclone (Debian's package; Go's google-api-go-client underneath) against the server: multipart uploads for
/// small files, resumable uploads in 16 MiB chunks for files above that (rclone's GCS backend has no chunk-size
/// option), listing, download through <c>mediaLink</c>, and <c>rclone check</c> by MD5.
/// </summary>
public sealed class RcloneInteropTests : IDisposable
{
    private const string Bucket = "rclone-bucket";

    private static readonly (string Path, int Size)[] Files =
    [
        ("empty.bin", 0),
        ("small.bin", 1000),
        ("sub dir/mid.bin", (16 * 1024 * 1024) + 1),
        ("sub dir/big.bin", (33 * 1024 * 1024) + 5),
        ("sub dir/x/tiny+name.txt", 17),
    ];

    private readonly TempDir _temp = new("rclone");

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task Rclone_CopyUpListAndCopyBack_RoundTripsEveryByte()
    {
        string rclone = RequiredTool.Find("rclone", "rclone");
        await using GcsTestServer server = await GcsTestServer.StartAsync(new GcsTestServerOptions { Buckets = [Bucket] });
        string source = WriteSourceFiles();
        string config = WriteConfig(server);

        await Run(rclone, config, "copy", source, $"gcs:{Bucket}/data");

        foreach ((string path, int size) in Files)
        {
            TestObject stored = server.Find(Bucket, $"data/{path}") ?? throw new Xunit.Sdk.XunitException($"data/{path} was not uploaded.");
            Assert.Equal(size, stored.Size);
            Assert.Equal(await File.ReadAllBytesAsync(Path.Combine(source, path)), stored.Bytes.ToArray());
            Assert.Equal(1, stored.CommitCount);
        }
        GcsServerCounters counters = server.Counters;
        Assert.True(counters.SessionsStarted >= 1 && counters.Chunks > counters.SessionsStarted,
            $"rclone should have used multi-chunk resumable uploads for the files above 16 MiB: {counters}");

        string listing = await Run(rclone, config, "lsjson", "-R", "--hash", "--files-only", $"gcs:{Bucket}/data");
        using (JsonDocument doc = JsonDocument.Parse(listing))
        {
            var listed = doc.RootElement.EnumerateArray().ToDictionary(e => e.GetProperty("Path").GetString()!, e => e);
            Assert.Equal(Files.Select(f => f.Path).Order(StringComparer.Ordinal), listed.Keys.Order(StringComparer.Ordinal));
            foreach ((string path, int size) in Files)
            {
                Assert.Equal(size, listed[path].GetProperty("Size").GetInt64());
                Assert.Equal(Convert.ToHexStringLower(Convert.FromBase64String(server.Find(Bucket, $"data/{path}")!.Md5)),
                    listed[path].GetProperty("Hashes").GetProperty("md5").GetString());
            }
        }

        string back = _temp.Combine("back");
        await Run(rclone, config, "copy", $"gcs:{Bucket}/data", back);
        foreach ((string path, _) in Files)
        {
            Assert.Equal(await File.ReadAllBytesAsync(Path.Combine(source, path)), await File.ReadAllBytesAsync(Path.Combine(back, path)));
        }

        await Run(rclone, config, "check", source, $"gcs:{Bucket}/data");
    }

    [Fact]
    public async Task Rclone_UnderInjectedFaultsItRetries_EveryObjectIsIntactAndWrittenOnce()
    {
        string rclone = RequiredTool.Find("rclone", "rclone");
        await using GcsTestServer server = await GcsTestServer.StartAsync(new GcsTestServerOptions { Buckets = [Bucket] });
        server.InjectFault(GcsFaultKind.Http503, GcsRequestKinds.ResumableChunk);
        server.InjectFault(GcsFaultKind.ResetMidChunk, GcsRequestKinds.ResumableChunk);
        server.InjectFault(GcsFaultKind.Http429, GcsRequestKinds.SimpleUpload);
        server.InjectFault(GcsFaultKind.Http500, GcsRequestKinds.ResumableInitiation);
        string source = WriteSourceFiles();
        string config = WriteConfig(server);

        await Run(rclone, config, "copy", source, $"gcs:{Bucket}/data");
        await Run(rclone, config, "check", source, $"gcs:{Bucket}/data");

        Assert.Equal(0, server.PendingInjectedFaults);
        Assert.Equal(4, server.Counters.TotalFaults);
        foreach ((string path, _) in Files)
        {
            TestObject stored = server.Find(Bucket, $"data/{path}")!;
            Assert.Equal(await File.ReadAllBytesAsync(Path.Combine(source, path)), stored.Bytes.ToArray());
            Assert.Equal(1, stored.CommitCount);
        }
    }

    [Fact]
    public async Task Rclone_RcatOfAStreamOfUnknownSize_GoesUpInOpenEndedChunks_AndTheLastGivesTheSize()
    {
        // Above rclone's streaming cutoff, rcat cannot know the size: Go's client sends 16 MiB chunks as 'bytes A-B/*'
        // and only the last one says the total, the protocol of a live tail.
        string rclone = RequiredTool.Find("rclone", "rclone");
        await using GcsTestServer server = await GcsTestServer.StartAsync(new GcsTestServerOptions { Buckets = [Bucket] });
        string config = WriteConfig(server);
        byte[] stream = new byte[(40 * 1024 * 1024) + 3];
        new Random(12).NextBytes(stream);

        await Run(rclone, config, stream, "rcat", $"gcs:{Bucket}/site-a/cam1/live.mp4");

        TestObject stored = server.Find(Bucket, "site-a/cam1/live.mp4") ?? throw new Xunit.Sdk.XunitException("rcat stored nothing.");
        Assert.Equal(stream, stored.Bytes.ToArray());
        GcsServerCounters counters = server.Counters;
        Assert.Equal(1, counters.SessionsStarted);
        Assert.Equal(1, counters.SessionsCompleted);
        Assert.True(counters.Chunks >= 3 && counters.OpenEndedChunks >= 2, $"rcat should have sent open-ended chunks, then the last with the size: {counters}");
        Assert.Equal(counters.Chunks + counters.StatusQueries, counters.RequestsByKind[GcsRequestKinds.ResumableChunk] + counters.RequestsByKind[GcsRequestKinds.ResumableStatusQuery]);
        Assert.Equal(1, counters.RequestsByKind[GcsRequestKinds.ResumableInitiation]);
    }

    private string WriteSourceFiles()
    {
        string source = _temp.Combine("source");
        int seed = 1;
        foreach ((string path, int size) in Files)
        {
            string file = Path.Combine(source, path);
            Directory.CreateDirectory(Path.GetDirectoryName(file)!);
            File.WriteAllBytes(file, GcsHttp.RandomBytes(size, seed++));
        }
        return source;
    }

    /// <summary>An rclone config of its own: anonymous access, the server as endpoint (the Go client derives upload/ and download/ from it).</summary>
    private string WriteConfig(GcsTestServer server)
    {
        string config = _temp.Combine("rclone.conf");
        File.WriteAllText(config, $"""
            [gcs]
            type = google cloud storage
            anonymous = true
            endpoint = {server.Endpoint}storage/v1/

            """);
        return config;
    }

    /// <summary>Runs rclone with its own config and cache, no high-level retries (so protocol errors fail the test), bounded in time.</summary>
    private Task<string> Run(string rclone, string config, params string[] args) => Run(rclone, config, null, args);

    private async Task<string> Run(string rclone, string config, byte[]? stdin, params string[] args)
    {
        var start = new ProcessStartInfo(rclone)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = stdin is not null,
            UseShellExecute = false,
        };
        foreach (string arg in (string[])["--config", config, "--cache-dir", _temp.Combine("cache"), "--retries", "1",
            "--low-level-retries", "10", "--contimeout", "10s", "--timeout", "60s", "--stats", "0", .. args])
        {
            start.ArgumentList.Add(arg);
        }
        foreach (string key in start.Environment.Keys.Where(k => k.StartsWith("RCLONE_", StringComparison.Ordinal)).ToList())
        {
            start.Environment.Remove(key);
        }

        using Process process = Process.Start(start) ?? throw new InvalidOperationException("rclone did not start.");
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        if (stdin is not null)
        {
            await process.StandardInput.BaseStream.WriteAsync(stdin);
            process.StandardInput.Close();
        }
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"rclone {string.Join(' ', args)} did not finish within 2 minutes. stderr:\n{await stderr}");
        }
        string output = await stdout;
        if (process.ExitCode != 0)
        {
            var message = new StringBuilder($"rclone {string.Join(' ', args)} exited with {process.ExitCode}.\n");
            message.AppendLine(await stderr).AppendLine(output);
            throw new Xunit.Sdk.XunitException(message.ToString());
        }
        return output;
    }
}
