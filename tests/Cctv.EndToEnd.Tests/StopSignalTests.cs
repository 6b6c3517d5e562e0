using System.Text.Json;
using Cctv.Demo;
using Cctv.EdgeRecorder.Cameras;
using Cctv.EdgeRecorder.Outbox;
using Cctv.EdgeRecorder.Pipeline;
using Cctv.Shared.Domain;
using Cctv.TestSupport;
using Microsoft.Extensions.Logging.Abstractions;

namespace Cctv.EndToEnd.Tests;

/// <summary>
/// A stop signal sent to the agent process only (as systemd's KillMode=mixed and docker stop do) mid-segment: FFmpeg
/// stops because the agent stops it, every file it wrote is sealed, and the next start finds nothing to recover.
/// </summary>
[Trait("Category", "Slow")]
public sealed class StopSignalTests
{
    private const int SegmentSeconds = 4;
    private static readonly TimeSpan StopGrace = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task Run_SigtermMidSegment_StopsFfmpegSealsEveryFileSignsEachChainAndTheNextStartHasNothingToRecover()
    {
        await using CameraSite site = await CameraSite.StartAsync("sigterm");
        (EdgePaths paths, string config) = (site.Paths, site.Config);

        using (EdgeProcess first = EdgeProcess.Start("run", "--config", config))
        {
            await WaitUntilMidSegmentAsync(paths, first);
            int openFiles = FilesWithoutRow(paths).Count;
            Assert.True(openFiles > 0, "the signal must come mid-segment, with a file FFmpeg is still writing");
            Assert.NotEmpty(EdgeProcess.ProcessesMentioning(paths.Spool));

            var signalled = System.Diagnostics.Stopwatch.StartNew();
            first.Signal("TERM");
            Assert.True(first.WaitForExit(StopGrace + TimeSpan.FromSeconds(5)), $"the agent was still running {signalled.Elapsed} after SIGTERM:\n{first.Output}");
            Assert.True(first.Process.ExitCode == 0, $"the agent exited {first.Process.ExitCode} after SIGTERM:\n{first.Output}");
            Assert.Contains("stopped: every FFmpeg stopped, every segment sealed", first.Output);

            // No FFmpeg left writing into the spool: the agent stopped its own children.
            Assert.Empty(EdgeProcess.ProcessesMentioning(paths.Spool));
            Assert.Empty(Directory.EnumerateFiles(paths.Pids));
        }

        var outbox = new OutboxStore(paths.Outbox, TimeProvider.System);
        IReadOnlyList<OutboxSegment> rows = outbox.All();
        // Every file FFmpeg wrote, the one it was writing at the signal included, has its row.
        Assert.Empty(FilesWithoutRow(paths));
        Assert.Equal(SpoolFiles(paths), rows.Select(r => r.Path).Order().ToList());
        // Each run ended because the agent stopped it (not a lost stream), and was sealed to its end.
        AssertEveryRunStoppedAndSealed(outbox);
        // The grace let the uploads under way finish: nothing is left claimed or waiting.
        Assert.All(rows, r => Assert.True(r.State is EdgeState.Uploaded or EdgeState.Verified, $"{r.Id} is {r.State}"));
        // Each camera's evidence chain covers every segment, signed when its run ended and uploaded within the grace.
        await AssertEachChainSignedAndIntactAsync(paths, rows);

        // The next start has nothing to recover: no leftover process stopped, no run adopted, no upload resumed, no file lost.
        using (EdgeProcess second = EdgeProcess.Start("run", "--config", config))
        {
            await CameraDropTests.WaitUntilAsync(() => second.Output.Contains("starting run", StringComparison.Ordinal) || second.Process.HasExited,
                TimeSpan.FromSeconds(60), "the second start to finish its recovery");
            second.Signal("TERM");
            Assert.True(second.WaitForExit(StopGrace + TimeSpan.FromSeconds(5)), $"the second start did not stop:\n{second.Output}");
            Assert.True(second.Process.ExitCode == 0, $"the second start exited {second.Process.ExitCode}:\n{second.Output}");
            foreach (string recovery in (string[])["Recovered from an unclean stop", "left running by a previous agent", "adopted", "Spool scan", "lost"])
            {
                Assert.DoesNotContain(recovery, second.Output, StringComparison.OrdinalIgnoreCase);
            }
        }
        Assert.All(rows, before => Assert.NotNull(outbox.Get(before.Id)));
        Assert.DoesNotContain(outbox.All(), r => r.State == EdgeState.Lost);
        Assert.Empty(EdgeProcess.ProcessesMentioning(paths.Spool));
    }

    [Fact]
    public async Task Record_SigtermWhileItRecordsAlone_StopsFfmpegSealsEveryFileAndExits130()
    {
        await using CameraSite site = await CameraSite.StartAsync("sigterm-record");
        (EdgePaths paths, string config) = (site.Paths, site.Config);

        // No agent runs: record starts its own for cam1 alone.
        using EdgeProcess record = EdgeProcess.Start("record", "--config", config, "--camera", "cam1", "--duration", "5m");
        await WaitUntilMidSegmentAsync(paths, record, segments: 2);
        Assert.NotEmpty(FilesWithoutRow(paths));

        record.Signal("TERM");
        Assert.True(record.WaitForExit(StopGrace + TimeSpan.FromSeconds(5)), $"record was still running after SIGTERM:\n{record.Output}");
        // 130: stopped before the recording it was asked for was done (documented).
        Assert.True(record.Process.ExitCode == 130, $"record exited {record.Process.ExitCode} after SIGTERM:\n{record.Output}");
        Assert.Contains("stopped by SIGTERM before the work was done", record.Output);

        Assert.Empty(EdgeProcess.ProcessesMentioning(paths.Spool));
        Assert.Empty(FilesWithoutRow(paths));
        var outbox = new OutboxStore(paths.Outbox, TimeProvider.System);
        AssertEveryRunStoppedAndSealed(outbox);
        Assert.All(outbox.All(), r => Assert.True(r.State is EdgeState.Uploaded or EdgeState.Verified, $"{r.Id} is {r.State}"));
    }

    [Fact]
    public async Task Demo_SigtermWhileRecording_StopsCamerasAndFfmpegSealsEveryFileAndShowsTheSummary()
    {
        RequireTools();
        using var dir = new TempDir("sigterm-demo");
        var paths = new EdgePaths(dir.Path);
        string cameraPids = Path.Combine(dir.Path, "demo", "pids");

        using EdgeProcess demo = EdgeProcess.StartDemo("--cameras", "2", "--segment-seconds", SegmentSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--duration", "10m", "--data-dir", dir.Path);
        await WaitUntilMidSegmentAsync(paths, demo);
        // The synthetic cameras (an RTSP server and a publisher per camera) are the demo's children too.
        List<int> cameraProcesses = Directory.EnumerateFiles(cameraPids, "*.pid").Select(f => int.Parse(File.ReadLines(f).First(), System.Globalization.CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(3, cameraProcesses.Count);

        demo.Signal("TERM");
        Assert.True(demo.WaitForExit(TimeSpan.FromSeconds(30) + TimeSpan.FromSeconds(10)), $"the demo was still running after SIGTERM:\n{demo.Output}");
        // 0 when the grace sufficed to verify everything, 130 when some was left for the next demo (documented).
        Assert.True(demo.Process.ExitCode is 0 or 130, $"the demo exited {demo.Process.ExitCode} after SIGTERM:\n{demo.Output}");
        Assert.Contains("Stopped by SIGTERM", demo.Output);
        Assert.Contains("│ cam1", demo.Output);

        Assert.Empty(EdgeProcess.ProcessesMentioning(paths.Spool));
        Assert.All(cameraProcesses, pid => Assert.False(EdgeProcess.IsAlive(pid), $"camera process {pid} outlived the demo"));
        Assert.Empty(FilesWithoutRow(paths));
        var outbox = new OutboxStore(paths.Outbox, TimeProvider.System);
        AssertEveryRunStoppedAndSealed(outbox);
        Assert.DoesNotContain(outbox.All(), r => r.State is EdgeState.Sealed or EdgeState.Uploading or EdgeState.Lost);
    }

    /// <summary>Once <paramref name="segments"/> are sealed (two per camera): just after the next one closes, half a segment later.</summary>
    private static async Task WaitUntilMidSegmentAsync(EdgePaths paths, EdgeProcess process, int segments = 4)
    {
        int Rows() => File.Exists(paths.Outbox) ? new OutboxStore(paths.Outbox, TimeProvider.System).All().Count : 0;
        await CameraDropTests.WaitUntilAsync(() => Rows() >= segments || process.Process.HasExited, TimeSpan.FromSeconds(90), $"{segments} segments sealed");
        Assert.False(process.Process.HasExited, $"it exited early:\n{process.Output}");
        int sealedSoFar = Rows();
        await CameraDropTests.WaitUntilAsync(() => Rows() > sealedSoFar, TimeSpan.FromSeconds(30), "the next segment to close");
        await Task.Delay(TimeSpan.FromSeconds(SegmentSeconds / 2.0));
    }

    private static List<string> SpoolFiles(EdgePaths paths) =>
        Directory.EnumerateFiles(paths.Spool, "seg_*.mp4", SearchOption.AllDirectories).Order().ToList();

    private static List<string> FilesWithoutRow(EdgePaths paths)
    {
        var known = new OutboxStore(paths.Outbox, TimeProvider.System).All().Select(r => r.Path).ToHashSet();
        return SpoolFiles(paths).Where(f => !known.Contains(f)).ToList();
    }

    private static void RequireTools()
    {
        RequiredTool.Find("ffmpeg", "ffmpeg");
        RequiredTool.Find(SyntheticCameras.RtspServerExecutable, "rtsp-server-perl");
    }

    /// <summary>
    /// The manifests in the staging bucket verify, with the key the catalog registered, over every segment file on disk
    /// (docs/evidence-format.md): no break, nothing left unsigned.
    /// </summary>
    private static async Task AssertEachChainSignedAndIntactAsync(EdgePaths paths, IReadOnlyList<OutboxSegment> rows)
    {
        var cloud = new Cctv.Shared.Local.LocalBackend(paths.DataDir, TimeProvider.System);
        var keys = (await cloud.Catalog.ListRecorderKeysAsync("sigterm", CancellationToken.None)).Select(k => Cctv.Shared.Evidence.EvidencePublicKey.FromBase64(k.PublicKey)).ToList();
        Assert.Single(keys);
        var byId = rows.ToDictionary(r => r.Id);
        foreach (string camera in (string[])["cam1", "cam2"])
        {
            var files = new List<Cctv.Shared.Evidence.ManifestFile>();
            await foreach (Cctv.Shared.Ports.StoredObject o in cloud.Store.ListAsync(Cctv.Shared.Local.LocalBackend.StagingBucket, $"manifests/sigterm~{camera}/", CancellationToken.None))
            {
                await using Stream s = await cloud.Store.OpenReadAsync(Cctv.Shared.Local.LocalBackend.StagingBucket, o.Name, CancellationToken.None);
                using var buffer = new MemoryStream();
                await s.CopyToAsync(buffer);
                files.Add(Cctv.Shared.Evidence.ManifestFile.Parse(buffer.ToArray()));
            }
            Cctv.Shared.Evidence.ChainReport report = Cctv.Shared.Evidence.ChainVerifier.Verify(new Cctv.Shared.Evidence.ChainEvidence(new CameraKey("sigterm", camera),
                files.Select(f => f.Manifest).ToList(), files.SelectMany(f => f.Entries).ToList(), keys,
                e => byId.TryGetValue(e.RecordingId!, out OutboxSegment? r)
                    ? new Cctv.Shared.Evidence.SegmentFacts(new FileInfo(r.Path).Length, Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(r.Path))))
                    : null));
            Assert.True(report.IsIntact, $"{camera}: {string.Join("; ", report.Breaks)}");
            Assert.Equal(0, report.UnsignedEntries);
            Assert.Equal(rows.Count(r => r.CameraId == camera), report.Entries.Count(e => e.Kind == Cctv.Shared.Evidence.ChainEntryKind.Segment));
        }
    }

    /// <summary>Each run ended because the agent stopped it (not a lost stream), and was sealed to its end.</summary>
    private static void AssertEveryRunStoppedAndSealed(OutboxStore outbox) =>
        Assert.All(outbox.AllRuns(), run => Assert.True(run.Sealed && run.EndReason == "recorder stopped", $"{run.CameraId} run {run.Run}: {run.EndReason}, sealed {run.Sealed}"));

    /// <summary>Two synthetic cameras (cam1, cam2) and an agent configuration over them, in a directory of the test's own.</summary>
    private sealed class CameraSite : IAsyncDisposable
    {
        private readonly TempDir _dir;
        private readonly SyntheticCameras _cameras;

        private CameraSite(TempDir dir, SyntheticCameras cameras)
        {
            _dir = dir;
            _cameras = cameras;
            string data = dir.Combine("data");
            Paths = new EdgePaths(data);
            Config = WriteConfig(dir, data, cameras);
        }

        public EdgePaths Paths { get; }

        /// <summary>The agent's configuration file.</summary>
        public string Config { get; }

        public static async Task<CameraSite> StartAsync(string name)
        {
            RequireTools();
            var dir = new TempDir(name);
            var log = NullLogger.Instance;
            var site = new CameraSite(dir, new SyntheticCameras(new ProcessRegistry(dir.Combine("camera-pids"), log), log));
            try
            {
                await site._cameras.StartAsync("cam1", CancellationToken.None);
                await site._cameras.StartAsync("cam2", CancellationToken.None);
                return site;
            }
            catch
            {
                await site.DisposeAsync();
                throw;
            }
        }

        public async ValueTask DisposeAsync()
        {
            await _cameras.DisposeAsync();
            _dir.Dispose();
        }

        private static string WriteConfig(TempDir dir, string data, SyntheticCameras cameras)
        {
            string file = dir.Combine("agent.json");
            var recorder = new
            {
                Id = "sigterm",
                DataDir = data,
                SegmentSeconds,
                StallTimeout = "00:00:08",
                StopGrace = StopGrace.ToString("c"),
                Cameras = new[] { "cam1", "cam2" }.Select(id => new { Id = id, Name = id, Url = cameras.UrlOf(id).ToString(), RtspTransport = "udp" }).ToArray(),
            };
            File.WriteAllText(file, JsonSerializer.Serialize(new { Recorder = recorder }));
            return file;
        }
    }
}
