using Cctv.EdgeRecorder.Outbox;
using Cctv.Shared.Domain;
using Cctv.TestSupport;

namespace Cctv.EdgeRecorder.Tests.Clock;

/// <summary>A run keeps the clock state it started with, through the outbox, beside another camera's run with another state.</summary>
public sealed class RunClockStateTests : IDisposable
{
    private readonly TempDir _dir = new("run-clock");

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void ARunsClockState_IsKeptWithTheRun_AndARunWithoutOne_HasNone()
    {
        var outbox = new OutboxStore(_dir.Combine("outbox.db"), TimeProvider.System);
        var synced = new ClockState(new DateTimeOffset(2026, 12, 1, 20, 0, 0, 123, TimeSpan.Zero), true, TimeSpan.FromMicroseconds(-250),
            TimeSpan.FromMilliseconds(12.5), TimeSpan.FromMicroseconds(310), ClockState.Adjtimex);
        ClockState unknown = ClockState.Unknown(synced.ReadAt, "adjtimex is read on 64-bit Linux only");

        CameraRun a = outbox.StartRun("cam1", synced);
        CameraRun b = outbox.StartRun("cam2", unknown);
        CameraRun c = outbox.StartRun("cam1");

        Assert.Equal(synced, outbox.GetRun("cam1", a.Run)!.Clock);
        Assert.Equal(unknown, outbox.GetRun("cam2", b.Run)!.Clock);
        Assert.Null(outbox.GetRun("cam1", c.Run)!.Clock);
        Assert.Equal(synced, new OutboxStore(_dir.Combine("outbox.db"), TimeProvider.System).GetRun("cam1", a.Run)!.Clock); // reopened: on disk
    }
}
