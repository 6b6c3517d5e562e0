using Cctv.EdgeRecorder.Pipeline;
using Cctv.TestSupport;

namespace Cctv.EdgeRecorder.Tests.Pipeline;

/// <summary>The tally behind the once-a-minute log lines: nothing before its minute, nothing when nothing happened.</summary>
public sealed class RoutineTallyTests
{
    [Fact]
    public void ItSumsItsMinute_ThenStartsAnother_AndSaysNothingOfAnEmptyOne()
    {
        var clock = new ManualClock(new DateTimeOffset(2026, 12, 2, 3, 10, 0, TimeSpan.Zero));
        var tally = new RoutineTally(clock, RoutineTally.Minute);
        tally.Add("cam1", 100);
        tally.Add("cam1", 200);
        tally.Add("cam2", 300);
        clock.Advance(TimeSpan.FromSeconds(59));
        Assert.Null(tally.TakeIfDue());

        clock.Advance(TimeSpan.FromSeconds(2));

        Assert.Equal(new RoutineTally.Sum(3, 600, 2, TimeSpan.FromSeconds(61)), tally.TakeIfDue());
        clock.Advance(RoutineTally.Minute);
        Assert.Null(tally.TakeIfDue()); // a minute with nothing counted
        tally.Add("cam3", 1);
        clock.Advance(TimeSpan.FromSeconds(-30)); // the wall clock stepped back: the minute ends now rather than in 90 s
        Assert.Equal(1, tally.TakeIfDue()!.Count);
    }
}
