using Cctv.EdgeRecorder.Clock;
using Cctv.Shared.Domain;
using Cctv.TestSupport;

namespace Cctv.EdgeRecorder.Tests.Clock;

public sealed class ClockStepDetectorTests
{
    [Fact]
    public void AWallClockThatRunsWithTheMonotonicClock_IsNoStep()
    {
        var clock = new SteppableClock();
        var detector = new ClockStepDetector(clock, TimeSpan.FromSeconds(1));
        Thread.Sleep(50);

        Assert.Null(detector.Check());
    }

    [Theory]
    [InlineData(5.0)]
    [InlineData(-3.0)]
    public void AStepBeyondTheTolerance_IsReported_WithItsSizeAndDirection(double seconds)
    {
        var clock = new SteppableClock();
        var detector = new ClockStepDetector(clock, TimeSpan.FromSeconds(1));

        clock.Step(TimeSpan.FromSeconds(seconds));

        TimeSpan step = Assert.IsType<TimeSpan>(detector.Check());
        Assert.Equal(seconds, step.TotalSeconds, 0.1);
    }

    [Fact]
    public void AStepWithinTheTolerance_IsNone_ButStepsThatAddUpBeyondIt_AreOne()
    {
        var clock = new SteppableClock();
        var detector = new ClockStepDetector(clock, TimeSpan.FromSeconds(1));

        clock.Step(TimeSpan.FromMilliseconds(600));
        Assert.Null(detector.Check());
        clock.Step(TimeSpan.FromMilliseconds(600));
        Assert.Equal(1.2, Assert.IsType<TimeSpan>(detector.Check()).TotalSeconds, 0.1);
    }

    [Fact]
    public void TheReason_SaysClockStep_AndByHowMuch_InBothDirections()
    {
        Assert.Equal("clock_step: the wall clock stepped +5.250 s against the monotonic clock", ClockStepDetector.Reason(TimeSpan.FromSeconds(5.25)));
        Assert.Equal("clock_step: the wall clock stepped -2.000 s against the monotonic clock", ClockStepDetector.Reason(TimeSpan.FromSeconds(-2)));
        Assert.True(ClockReasons.IsClockStep(ClockStepDetector.Reason(TimeSpan.FromSeconds(-2))));
        Assert.False(ClockReasons.IsClockStep("camera stream lost: clock_step"));
    }
}
