using System.Diagnostics;
using Cctv.EdgeRecorder.Commands;
using Cctv.EdgeRecorder.Outbox;
using Cctv.EdgeRecorder.Tests.Pipeline;
using Cctv.Shared.Domain;
using Cctv.Shared.Local;
using Cctv.TestSupport;

namespace Cctv.EdgeRecorder.Tests.Commands;

public sealed class MigrateCommandTests : IDisposable
{
    private readonly TempDir _dir = new("migrate");

    public void Dispose() => _dir.Dispose();

    private static void MakeRecording(string path, int seconds, DateTime end)
    {
        var psi = new ProcessStartInfo(RequiredTool.Find("ffmpeg", "ffmpeg")) { RedirectStandardError = true, UseShellExecute = false };
        foreach (string a in (string[])["-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i", $"testsrc2=size=160x120:rate=10:duration={seconds}",
                     "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-y", path])
        {
            psi.ArgumentList.Add(a);
        }
        using Process p = Process.Start(psi)!;
        string errors = p.StandardError.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, errors);
        File.SetLastWriteTimeUtc(path, end);
    }

    [Fact]
    public async Task Migrate_ImportsEveryOldRecordingOnceWithItsTimes_UploadsThem_AndCleansIncompleteOnes()
    {
        RequiredTool.Find("ffprobe", "ffmpeg");
        string source = _dir.Combine("old-nvr");
        Directory.CreateDirectory(Path.Combine(source, "2026-11-20"));
        var end = new DateTime(2026, 11, 20, 3, 10, 0, DateTimeKind.Utc);
        MakeRecording(Path.Combine(source, "2026-11-20", "a.mp4"), 2, end);
        MakeRecording(Path.Combine(source, "2026-11-20", "b.mp4"), 3, end.AddMinutes(5));
        MakeRecording(Path.Combine(source, "c.mp4"), 4, end.AddMinutes(10));
        File.WriteAllText(Path.Combine(source, "2026-11-20", "d.mp4.tmp"), "half a recording");

        var backend = new LocalBackend(_dir.Combine("cloud"), TimeProvider.System);
        using var rig = new PipelineRig(backend.Store, LocalBackend.StagingBucket, backend.Catalog);
        var settings = new MigrateSettings(source, "cam7", BatchSize: 2, SkipMissing: false, CleanupTmp: true, DryRun: false);

        MigrateReport first = await MigrateCommand.RunAsync(rig.Context, settings, CancellationToken.None);

        Assert.Equal((3, 3, 0, 1, 3), (first.Found, first.Imported, first.AlreadyImported, first.TempFiles, first.Uploaded));
        Assert.False(File.Exists(Path.Combine(source, "2026-11-20", "d.mp4.tmp")));
        List<OutboxSegment> rows = rig.Outbox.All().Where(r => r.CameraId == "cam7").OrderBy(r => r.StartTime).ToList();
        Assert.Equal(3, rows.Count);
        Assert.All(rows, r => Assert.Equal(EdgeState.Uploaded, r.State));
        Assert.Equal(end, rows[0].EndTime.UtcDateTime);
        Assert.InRange((rows[0].EndTime - rows[0].StartTime).TotalSeconds, 1.8, 2.2);
        Assert.InRange((rows[1].EndTime - rows[1].StartTime).TotalSeconds, 2.8, 3.2);
        Assert.All(rows, r => Assert.NotNull(backend.Store.GetAsync(LocalBackend.StagingBucket, r.ObjectName, CancellationToken.None).Result));
        Assert.True(File.Exists(Path.Combine(source, "c.mp4")), "the source files are left for the operator");

        MigrateReport again = await MigrateCommand.RunAsync(rig.Context, settings, CancellationToken.None);
        Assert.Equal((3, 0, 3), (again.Found, again.Imported, again.AlreadyImported));
        Assert.Equal(3, rig.Outbox.All().Count(r => r.CameraId == "cam7"));
    }

    [Fact]
    public async Task Migrate_DryRun_ChangesNothing()
    {
        string source = _dir.Combine("old");
        Directory.CreateDirectory(source);
        File.WriteAllText(Path.Combine(source, "x.mp4"), "not really a video");
        File.WriteAllText(Path.Combine(source, "y.tmp"), "partial");
        var backend = new LocalBackend(_dir.Combine("cloud"), TimeProvider.System);
        using var rig = new PipelineRig(backend.Store, LocalBackend.StagingBucket, backend.Catalog);

        MigrateReport report = await MigrateCommand.RunAsync(rig.Context, new MigrateSettings(source, "cam7", 3, false, CleanupTmp: true, DryRun: true), CancellationToken.None);

        Assert.Equal((1, 0, 1), (report.Found, report.Imported, report.TempFiles));
        Assert.True(File.Exists(Path.Combine(source, "y.tmp")));
        Assert.DoesNotContain(rig.Outbox.All(), r => r.CameraId == "cam7");
    }
}
