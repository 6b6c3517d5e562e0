using System.Diagnostics;
using System.Security.Cryptography;
using Cctv.EdgeRecorder.Cameras;
using Cctv.EdgeRecorder.Outbox;
using Cctv.EdgeRecorder.Pipeline;
using Cctv.Shared.Domain;
using Cctv.Shared.Local;
using Cctv.TestSupport;

namespace Cctv.EdgeRecorder.Tests.Pipeline;

/// <summary>
/// The running agent's pipeline reacts to events, not to a poll: a new segment file gets its predecessor sealed and
/// uploaded within a moment, long before the slow safety pass would have found it.
/// </summary>
public sealed class RecorderAgentTests : LocalCloudTest
{
    private static async Task<TimeSpan?> TimeUntilAsync(Func<bool> condition, TimeSpan within)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < within)
        {
            if (condition())
            {
                return clock.Elapsed;
            }
            await Task.Delay(20);
        }
        return null;
    }

    [Fact]
    public async Task RecoveryBeforeRecording_SealsWhatThePreviousInstanceLeft_AndLeavesTheUploadsToTheRunningLoop()
    {
        // Uploads hang until released: had recovery uploaded (as the sync command's does), the cameras would not have started.
        var store = new GatedObjectStore(Backend.Store);
        using var rig = new PipelineRig(store, LocalBackend.StagingBucket, Backend.Catalog);
        SealerTests.WriteSegments(rig.Context.Paths.RunDirectory("cam1", rig.Run.Run), files: 2, listed: 2); // a run never ended

        await new RecorderAgent(rig.Context).RecoverAsync(CancellationToken.None, recordingFollows: true).WaitAsync(TimeSpan.FromSeconds(20));

        Assert.False(store.UploadEntered.IsCompleted);
        Assert.Equal(2, rig.Outbox.All().Count(s => s.State == EdgeState.Sealed));
        Assert.Empty(rig.Outbox.UnsealedRuns());
        store.Release();
    }

    [Fact]
    public async Task ANewSegmentFile_GetsTheOneBeforeItSealedAndUploaded_BeforeTheSafetyPass()
    {
        // No camera to record: the test plays FFmpeg, writing into the run the rig started.
        using var rig = new PipelineRig(Backend.Store, LocalBackend.StagingBucket, Backend.Catalog, o => o.Cameras.Clear());
        var agent = new RecorderAgent(rig.Context);
        using var stopRecording = new CancellationTokenSource();
        Task running = agent.RunAsync(stopRecording.Token, CancellationToken.None);
        string dir = rig.Context.Paths.RunDirectory("cam1", rig.Run.Run);
        Directory.CreateDirectory(dir);
        File.WriteAllBytes(Path.Combine(dir, "seg_000000.mp4"), RandomNumberGenerator.GetBytes(5000));
        await Task.Delay(500); // the agent's first pass is over and it sleeps

        File.WriteAllText(Path.Combine(dir, FfmpegArguments.SegmentList), "seg_000000.mp4,0.000000,4.000000\n");
        File.WriteAllBytes(Path.Combine(dir, "seg_000001.mp4"), RandomNumberGenerator.GetBytes(100));
        string id = RecordingId.For("site", "cam1", rig.Run.Run, 0);
        TimeSpan? uploaded = await TimeUntilAsync(() => rig.Outbox.Get(id)?.State == EdgeState.Uploaded, RecorderAgent.SafetyPass * 2);

        await stopRecording.CancelAsync();
        await running;
        Assert.NotNull(uploaded);
        Assert.True(uploaded < RecorderAgent.SafetyPass / 2, $"sealed and uploaded after {uploaded}, as late as a poll would");
        Assert.Null(rig.Outbox.Get(RecordingId.For("site", "cam1", rig.Run.Run, 1))); // still being written
    }

    [Fact]
    public async Task Stopping_SealsWhatTheEndedRunsHold_WithTheirLastSegment()
    {
        using var rig = new PipelineRig(Backend.Store, LocalBackend.StagingBucket, Backend.Catalog, o => o.Cameras.Clear());
        var agent = new RecorderAgent(rig.Context);
        using var stopRecording = new CancellationTokenSource();
        SealerTests.WriteSegments(rig.Context.Paths.RunDirectory("cam1", rig.Run.Run), files: 1, listed: 1);
        Task running = agent.RunAsync(stopRecording.Token, CancellationToken.None);
        await Task.Delay(500);

        rig.Outbox.EndRun("cam1", rig.Run.Run, "recorder stopped");
        await stopRecording.CancelAsync(); // the stop seals what the ended runs hold, whatever the loop was doing
        await running;

        Assert.Empty(rig.Outbox.UnsealedRuns());
        Assert.NotNull(rig.Outbox.Get(RecordingId.For("site", "cam1", rig.Run.Run, 0)));
    }
}
