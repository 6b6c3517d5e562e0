using System.Diagnostics;
using Cctv.Demo;
using Cctv.EdgeRecorder.Outbox;
using Cctv.EdgeRecorder.Pipeline;
using Cctv.Shared.Domain;
using Cctv.Shared.Local;
using Cctv.TestSupport;

namespace Cctv.EndToEnd.Tests;

[Trait("Category", "Slow")]
public sealed class KillAndRestartTests
{
    [Fact]
    public async Task TheAgentKilledWithSigkillMidRun_AndRestarted_LosesAndDuplicatesNothing()
    {
        RequiredTool.Find("ffmpeg", "ffmpeg");
        RequiredTool.Find(SyntheticCameras.RtspServerExecutable, "rtsp-server-perl");
        using var dir = new TempDir("kill");
        string outbox = new EdgePaths(dir.Path).Outbox;

        // First run: killed with SIGKILL (no chance to stop FFmpeg or finish anything) while it records and uploads.
        using EdgeProcess first = StartDemo(dir.Path, "120s");
        await CameraDropTests.WaitUntilAsync(() => File.Exists(outbox) && new OutboxStore(outbox, TimeProvider.System).All().Count >= 6,
            TimeSpan.FromSeconds(60), "the first run to seal 6 segments");
        await Task.Delay(TimeSpan.FromSeconds(Random.Shared.Next(1, 4)));
        first.Process.Kill(entireProcessTree: false);
        // Not WaitForExitAsync: it also waits for the end of the output, which orphaned children of the killed run could hold.
        Assert.True(first.Process.WaitForExit(TimeSpan.FromSeconds(10)), "the killed run did not exit");
        int sealedBeforeKill = new OutboxStore(outbox, TimeProvider.System).All().Count;

        // Second run on the same directory: picks up where the first was, records a little more, drains.
        using (EdgeProcess second = StartDemo(dir.Path, "6s"))
        {
            await second.Process.WaitForExitAsync();
            Assert.True(second.Process.ExitCode == 0, $"the second run exited {second.Process.ExitCode}:\n{second.Output}\n\nThe killed first run printed:\n{first.Output}");
        }

        var store = new OutboxStore(outbox, TimeProvider.System);
        IReadOnlyList<OutboxSegment> rows = store.All();
        Assert.True(rows.Count > sealedBeforeKill);
        foreach (string camera in (string[])["cam1", "cam2"])
        {
            Assert.True(rows.Count(r => r.CameraId == camera) >= 3, $"{camera} recorded only {rows.Count(r => r.CameraId == camera)} segments");
        }
        Assert.All(rows, r => Assert.Equal(EdgeState.Verified, r.State));
        Assert.Equal(rows.Count, rows.Select(r => r.Id).Distinct().Count());

        // Nothing lost: every file FFmpeg wrote is a sealed segment, and every run's segments are numbered without holes.
        var spoolFiles = Directory.EnumerateFiles(Path.Combine(dir.Path, "spool"), "seg_*.mp4", SearchOption.AllDirectories).Order().ToList();
        Assert.Equal(spoolFiles, rows.Select(r => r.Path).Order().ToList());
        foreach (var run in rows.GroupBy(r => (r.CameraId, r.Run)))
        {
            Assert.Equal(Enumerable.Range(0, run.Count()).Select(i => (long)i), run.Select(r => r.Sequence).Order());
        }

        // Nothing duplicated: one archive object per segment, holding its bytes.
        var backend = new LocalBackend(dir.Path, TimeProvider.System);
        var archived = new List<string>();
        await foreach (var o in backend.Store.ListAsync(LocalBackend.ArchiveBucket, "recordings/", CancellationToken.None))
        {
            archived.Add(o.Name);
        }
        Assert.Equal(rows.Count, archived.Count);
        foreach (OutboxSegment row in rows)
        {
            Recording cloud = (await backend.Catalog.GetAsync(row.Id, CancellationToken.None))!;
            Assert.Equal(CloudState.Archived, cloud.State);
            Assert.Equal(row.Sha256, Media.Sha256Of(backend.Store.DataPathOf(LocalBackend.ArchiveBucket, cloud.ArchiveObject!)));
        }

        // The first run's FFmpeg processes did not outlive the restart.
        string spool = Path.Combine(dir.Path, "spool");
        Assert.DoesNotContain(Process.GetProcessesByName("ffmpeg"), p => CommandLine(p.Id).Contains(spool, StringComparison.Ordinal));
    }

    private static string CommandLine(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ');
        }
        catch (IOException)
        {
            return "";
        }
    }

    /// <summary>The demo as a user runs it, on <paramref name="dataDir"/>.</summary>
    private static EdgeProcess StartDemo(string dataDir, string duration) =>
        EdgeProcess.StartDemo("--cameras", "2", "--segment-seconds", "2", "--duration", duration, "--data-dir", dataDir, "--drain-timeout", "90s");
}
