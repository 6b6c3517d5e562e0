namespace Cctv.TestSupport;

/// <summary>
/// The system's clock, whose wall time a test can step (as <c>date -s</c> or NTP's step would) while the monotonic
/// clock (<see cref="TimeProvider.GetTimestamp"/>) and timers run on untouched.
/// </summary>
public sealed class SteppableClock : TimeProvider
{
    private long _stepTicks;

    public override DateTimeOffset GetUtcNow() => System.GetUtcNow() + TimeSpan.FromTicks(Interlocked.Read(ref _stepTicks));

    public void Step(TimeSpan by) => Interlocked.Add(ref _stepTicks, by.Ticks);
}
