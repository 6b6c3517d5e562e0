using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Cctv.Demo;
using Cctv.EdgeRecorder.Cameras;
using Cctv.EdgeRecorder.Identity;
using Cctv.EdgeRecorder.Outbox;
using Cctv.EdgeRecorder.Pipeline;
using Cctv.Shared.Domain;
using Cctv.Shared.Evidence;
using Cctv.TestSupport;
using Cctv.Testing.Gcs;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit.Abstractions;

namespace Cctv.EndToEnd.Tests;

/// <summary>
/// The guarantee under fire: four synthetic cameras with 4-second segments, recorded for three minutes by the agent
/// running as its own process on the gcp backend, with live tails on (each open segment appended to an unknown-size
/// session while FFmpeg writes it), uploading to the test GCS server while a fifth of the upload requests
/// fail (5xx, 429, resets mid-chunk, stalls, chunks accepted in part, answers dropped after the commit), and the agent
/// killed with SIGKILL and restarted at random moments. At the end every sealed segment is in the bucket exactly once,
/// with the local copy's CRC32C and SHA-256, and the outbox agrees.
/// </summary>
[Trait("Category", "Slow")]
public sealed class GuaranteedDeliveryFaultTests(ITestOutputHelper output)
{
    private const string Bucket = "cctv-staging";
    private static readonly TimeSpan RecordFor = TimeSpan.FromMinutes(3);
    private const int MinimumKills = 10;
    // Long enough (about 600 KB at the cameras' ~1.25 Mbit/s, two or three 256 KiB quanta) that live tails append whole
    // quanta before the segment is sealed, and that kills land mid-tail: the sessions resumed after a kill are live ones.
    private const int SegmentSeconds = 4;

    [Fact]
    public async Task FourCameras_FaultsOnAFifthOfRequests_AndTenKills_EverySegmentReachesTheBucketOnceIntact()
    {
        RequiredTool.Find("ffmpeg", "ffmpeg");
        RequiredTool.Find(SyntheticCameras.RtspServerExecutable, "rtsp-server-perl");
        using var dir = new TempDir("faults");
        var random = new Random(20261121);

        await using GcsTestServer server = await GcsTestServer.StartAsync(new GcsTestServerOptions
        {
            Buckets = [Bucket],
            Faults = new GcsFaultOptions
            {
                Rate = 0.2,
                Seed = 7,
                AppliesTo = GcsRequestKinds.ResumableUpload,
                StallDuration = TimeSpan.FromSeconds(4),
                PersistReceivedBytesOnReset = true,
            },
        });

        var registry = new ProcessRegistry(Path.Combine(dir.Path, "cameras", "pids"), NullLogger.Instance);
        await using var cameras = new SyntheticCameras(registry, NullLogger.Instance);
        string[] ids = ["cam1", "cam2", "cam3", "cam4"];
        foreach (string id in ids)
        {
            await cameras.StartAsync(id, CancellationToken.None);
        }
        string config = WriteConfig(dir, ids.Select(id => (id, cameras.UrlOf(id))));

        // Record for three minutes; kill the agent with SIGKILL at random moments and start it again each time.
        int kills = 0;
        var log = new StringBuilder();
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < RecordFor || kills < MinimumKills)
        {
            using Process agent = Agent.Start(config, server, "run", log);
            await Task.Delay(TimeSpan.FromSeconds(random.Next(6, 16)));
            if (agent.HasExited)
            {
                Assert.Fail($"the agent exited by itself ({agent.ExitCode}):\n{Tail(log)}");
            }
            agent.Kill(entireProcessTree: false);
            Assert.True(agent.WaitForExit(TimeSpan.FromSeconds(10)), "the killed agent did not exit");
            kills++;
        }

        // A last run that is stopped the way systemd stops it (SIGTERM), so that FFmpeg closes its final segments. Not
        // SIGINT: a shell that starts a command in the background without job control starts it with SIGINT ignored, and
        // the runtime then leaves it ignored (a background job is not to be stopped by a terminal's Ctrl+C); a test run
        // launched that way saw this agent never stop. The agent treats the three stop signals alike (StopSignals).
        using (Process last = Agent.Start(config, server, "run", log))
        {
            await Task.Delay(TimeSpan.FromSeconds(8));
            EdgeProcess.Signal(last.Id, "TERM");
            if (!last.WaitForExit(TimeSpan.FromSeconds(60)))
            {
                last.Kill(entireProcessTree: true); // not left running after the test, with its FFmpegs
                Assert.Fail($"the agent did not stop on SIGTERM within 60 s:\n{Tail(log)}");
            }
        }
        foreach (string id in ids)
        {
            cameras.Stop(id);
        }

        // The manual layer: sync until the outbox is empty, with the faults still on.
        int syncs = 0, syncExit = -1;
        while (syncExit != 0 && syncs < 10)
        {
            using Process sync = Agent.Start(config, server, "sync", log);
            Assert.True(sync.WaitForExit(TimeSpan.FromMinutes(3)), "sync did not finish");
            syncExit = sync.ExitCode;
            syncs++;
        }
        Assert.True(syncExit == 0, $"sync still had segments pending after {syncs} runs:\n{Tail(log)}");

        // Every file FFmpeg wrote is a sealed segment; every segment is uploaded; nothing lost.
        var outbox = new OutboxStore(new EdgePaths(Path.Combine(dir.Path, "data")).Outbox, TimeProvider.System);
        IReadOnlyList<OutboxSegment> rows = outbox.All();
        var spoolFiles = Directory.EnumerateFiles(Path.Combine(dir.Path, "data", "spool"), "seg_*.mp4", SearchOption.AllDirectories).Order().ToList();
        var rowPaths = rows.Select(r => r.Path).ToHashSet();
        var unsealed = spoolFiles.Where(f => !rowPaths.Contains(f)).Select(f => $"{f} ({new FileInfo(f).Length} bytes)").ToList();
        var vanished = rows.Where(r => !File.Exists(r.Path)).Select(r => $"{r.Path} ({r.State.ToWire()})").ToList();
        Assert.True(unsealed.Count == 0 && vanished.Count == 0,
            $"files with no outbox row: {string.Join(", ", unsealed)}; rows with no file: {string.Join(", ", vanished)}\n{Tail(log)}");
        int lost = rows.Count(r => r.State == EdgeState.Lost);
        Assert.True(lost == 0, "lost: " + string.Join("; ", rows.Where(r => r.State == EdgeState.Lost).Select(r => $"{r.Id}: {r.LastError}")));
        Assert.All(rows, r => Assert.Equal(EdgeState.Uploaded, r.State));
        foreach (string id in ids)
        {
            Assert.True(rows.Count(r => r.CameraId == id) >= 30, $"{id} sealed only {rows.Count(r => r.CameraId == id)} segments in {RecordFor}");
        }

        // In the bucket exactly once each, with the local bytes; beside them, each camera's signed manifests.
        IReadOnlyList<TestObject> all = server.Objects(Bucket);
        int duplicates = all.Count(o => o.CommitCount > 1) + (all.Count - all.Select(o => o.Name).Distinct().Count());
        Assert.Equal(0, duplicates);
        var objects = all.Where(o => !o.Name.StartsWith(ObjectNames.ManifestPrefix, StringComparison.Ordinal)).ToList();
        Assert.Equal(rows.Select(r => r.ObjectName).Order(), objects.Select(o => o.Name).Order());
        int manifests = AssertEachChainSignedAndIntact(server, Path.Combine(dir.Path, "data"), rows, ids);
        foreach (OutboxSegment row in rows)
        {
            TestObject stored = server.Find(Bucket, row.ObjectName)!;
            Assert.Equal(row.Crc32C, stored.Crc32C);
            Assert.Equal(row.Generation, stored.Generation);
            Assert.Equal(row.Sha256, Convert.ToHexStringLower(SHA256.HashData(stored.Bytes.Span)));
            Assert.Equal(row.Sha256, Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(row.Path))));
        }

        var counters = server.Counters;
        output.WriteLine($"segments sealed:   {rows.Count} ({string.Join(", ", ids.Select(id => $"{id} {rows.Count(r => r.CameraId == id)}"))})");
        output.WriteLine($"uploaded:          {rows.Count(r => r.State == EdgeState.Uploaded)}");
        output.WriteLine($"resumed uploads:   {rows.Sum(r => r.Resumes)} (in {rows.Count(r => r.Resumes > 0)} segments)");
        output.WriteLine($"retries:           {rows.Sum(r => r.Retries)} attempts retried in place, {rows.Sum(r => r.Attempts)} handed to the background sync");
        output.WriteLine($"faults injected:   {counters.TotalFaults} of {counters.Requests} requests ({string.Join(", ", counters.FaultsInjected.Where(f => f.Value > 0).Select(f => $"{f.Key} {f.Value}"))})");
        output.WriteLine($"kills:             {kills} SIGKILLs over {clock.Elapsed.TotalSeconds:F0} s, then {syncs} sync runs");
        output.WriteLine($"lost:              {lost}");
        output.WriteLine($"duplicates:        {duplicates}");
        output.WriteLine($"manifests:         {manifests}, every chain intact and every segment signed");
        Assert.True(counters.TotalFaults >= 0.15 * counters.Requests, $"only {counters.TotalFaults} faults in {counters.Requests} requests");
        // Live tails were really exercised: the server saw open-ended chunks (Content-Range: bytes A-B/*), on average at
        // least one for every two sealed segments (one run saw 132 for 131 segments: faults, kills and fall-backs leave some
        // segments, and the tails of all, to the upload after sealing).
        output.WriteLine($"live tails:        {counters.OpenEndedChunks} open-ended chunks, {counters.StatusQueries} status queries, {counters.SessionsCompleted} sessions completed");
        Assert.True(counters.OpenEndedChunks >= rows.Count / 2, $"only {counters.OpenEndedChunks} open-ended chunks for {rows.Count} segments: live tails were hardly exercised ({counters})");
    }

    /// <summary>
    /// Through faults and kills the evidence chain holds too: each camera's manifests in the bucket verify with the
    /// installation's key over the bucket's bytes, with no break and every sealed segment signed (docs/evidence-format.md).
    /// Returns how many manifests there are.
    /// </summary>
    private static int AssertEachChainSignedAndIntact(GcsTestServer server, string dataDir, IReadOnlyList<OutboxSegment> rows, IEnumerable<string> cameras)
    {
        using ECDsa installationKey = RecorderIdentity.LoadOrCreate(dataDir).OpenSigningKey();
        EvidencePublicKey[] keys = [EvidencePublicKey.Of(installationKey)];
        var byId = rows.ToDictionary(r => r.Id);
        int count = 0;
        foreach (string camera in cameras)
        {
            var camKey = new CameraKey("fault-site", camera);
            var files = server.Objects(Bucket).Where(o => o.Name.StartsWith($"{ObjectNames.ManifestPrefix}{camKey}/", StringComparison.Ordinal))
                .Select(o => ManifestFile.Parse(o.Bytes.Span)).ToList();
            count += files.Count;
            ChainReport report = ChainVerifier.Verify(new ChainEvidence(camKey, files.Select(f => f.Manifest).ToList(), files.SelectMany(f => f.Entries).ToList(), keys,
                e => byId.TryGetValue(e.RecordingId!, out OutboxSegment? r) && server.Find(Bucket, r.ObjectName) is { } stored
                    ? new SegmentFacts(stored.Bytes.Length, Convert.ToHexStringLower(SHA256.HashData(stored.Bytes.Span)))
                    : null));
            Assert.True(report.IsIntact, $"{camera}: {string.Join("; ", report.Breaks)}");
            Assert.Equal(0, report.UnsignedEntries);
            Assert.Equal(rows.Count(r => r.CameraId == camera), report.Entries.Count(e => e.Kind == ChainEntryKind.Segment));
        }
        return count;
    }

    private static string WriteConfig(TempDir dir, IEnumerable<(string Id, Uri Url)> cameras)
    {
        var config = new
        {
            Recorder = new
            {
                Id = "fault-site",
                DataDir = Path.Combine(dir.Path, "data"),
                Backend = "gcp",
                SegmentSeconds,
                StallTimeout = "00:00:08",
                Cameras = cameras.Select(c => new { c.Id, Name = c.Id, Url = c.Url.ToString(), RtspTransport = "udp" }).ToArray(),
                Upload = new
                {
                    Parallelism = 4,
                    RetryDelay = "00:00:00.200",
                    MaxBackoff = "00:00:03",
                    RequestTimeout = "00:00:02",
                    ChunkBytes = 256 * 1024,
                    SingleRequestMaxBytes = 0, // every segment in a resumable session: the crash-resume path is what is under test

                },
                Gcp = new { StagingBucket = Bucket, Catalog = "none" },
                LiveTail = new { Enabled = true },
            },
        };
        string path = dir.Combine("recorder.json");
        File.WriteAllText(path, JsonSerializer.Serialize(config));
        return path;
    }

    private static string Tail(StringBuilder log)
    {
        lock (log)
        {
            string all = log.ToString();
            return all.Length > 6000 ? all[^6000..] : all;
        }
    }

    /// <summary>The agent's own command line, run as its own process, with the test server as its Cloud Storage.</summary>
    private static class Agent
    {
        public static Process Start(string config, GcsTestServer server, string command, StringBuilder log)
        {
            var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (string a in (string[])[Path.Combine(AppContext.BaseDirectory, "Cctv.EdgeRecorder.dll"), command, "--config", config])
            {
                psi.ArgumentList.Add(a);
            }
            psi.Environment["STORAGE_EMULATOR_HOST"] = server.Endpoint.ToString();
            psi.Environment["CCTV_LOG_LEVEL"] = "Warning";
            var process = Process.Start(psi)!;
            process.OutputDataReceived += (_, e) => Append(log, command, e.Data);
            process.ErrorDataReceived += (_, e) => Append(log, command, e.Data);
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            return process;
        }

        private static void Append(StringBuilder log, string command, string? line)
        {
            if (line is null)
            {
                return;
            }
            lock (log)
            {
                log.Append(command).Append(": ").AppendLine(line);
            }
        }
    }
}
