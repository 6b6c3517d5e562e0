using Cctv.EdgeRecorder.Outbox;
using Cctv.Shared.Domain;

namespace Cctv.EndToEnd.Tests;

[Trait("Category", "Slow")]
public sealed class CameraDropTests
{
    [Fact]
    public async Task ACameraThatDisappearsAndComesBack_IsRecordedAgain_WithTheGapAndItsReasonInTheCatalog()
    {
        await using RecordingRig rig = await RecordingRig.StartAsync(cameras: 1, segmentSeconds: 2);
        using var stop = new CancellationTokenSource();
        Task running = rig.Agent.RunAsync(stop.Token, CancellationToken.None);

        await WaitUntilAsync(() => rig.Edge.Outbox.All().Count >= 3, TimeSpan.FromSeconds(30), "the camera to record 3 segments");
        DateTimeOffset dropped = DateTimeOffset.UtcNow;
        rig.Cameras.Stop("cam1");
        await Task.Delay(TimeSpan.FromSeconds(12));
        await rig.Cameras.StartAsync("cam1", CancellationToken.None);
        long runBeforeReturn = rig.Edge.Outbox.All().Max(r => r.Run);
        await WaitUntilAsync(() => rig.Edge.Outbox.All().Count(r => r.Run > runBeforeReturn) >= 2, TimeSpan.FromSeconds(60),
            "recording to resume after the camera came back");
        await stop.CancelAsync();
        await running;
        Assert.True(await rig.Agent.DrainAsync(TimeSpan.FromSeconds(60), CancellationToken.None), "the pipeline did not drain");

        IReadOnlyList<OutboxSegment> rows = rig.Edge.Outbox.All();
        Assert.All(rows, r => Assert.Equal(EdgeState.Verified, r.State));
        OutboxSegment lastBefore = rows.Where(r => r.Run <= runBeforeReturn).MaxBy(r => r.EndTime)!;
        OutboxSegment firstAfter = rows.Where(r => r.Run > runBeforeReturn).MinBy(r => r.StartTime)!;
        Assert.True(firstAfter.StartTime - lastBefore.EndTime >= TimeSpan.FromSeconds(8),
            $"expected a gap of about 12 s, found {firstAfter.StartTime - lastBefore.EndTime}");

        IReadOnlyList<RecordingGap> gaps = await rig.Backend.Catalog.ListGapsAsync(new CameraKey("e2e", "cam1"), dropped.AddMinutes(-1), DateTimeOffset.UtcNow, CancellationToken.None);
        RecordingGap gap = Assert.Single(gaps, g => g.EndTime is not null && g.EndTime - g.StartTime > TimeSpan.FromSeconds(5));
        Assert.Equal(lastBefore.EndTime, gap.StartTime);
        Assert.Equal(firstAfter.StartTime, gap.EndTime);
        Assert.Contains("camera stream", gap.Reason);

        foreach (OutboxSegment row in rows)
        {
            Assert.Equal(CloudState.Archived, (await rig.Backend.Catalog.GetAsync(row.Id, CancellationToken.None))!.State);
        }
    }

    internal static async Task WaitUntilAsync(Func<bool> condition, TimeSpan timeout, string what)
    {
        DateTime deadline = DateTime.UtcNow + timeout;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"timed out after {timeout} waiting for {what}");
            }
            await Task.Delay(200);
        }
    }
}
