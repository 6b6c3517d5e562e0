using System.Globalization;
using Cctv.Shared.Domain;

namespace Cctv.EdgeRecorder.Clock;

/// <summary>
/// Watches one run for a step of the wall clock: from the moment it is made, the wall clock's elapsed time
/// (<see cref="TimeProvider.GetUtcNow"/>) against the monotonic clock's (<see cref="TimeProvider.GetTimestamp"/>).
/// NTP's slewing moves both clocks alike (Linux slews CLOCK_MONOTONIC with CLOCK_REALTIME), so only a step (the clock
/// set by hand, <c>chronyc makestep</c>, NTP's first sync after boot) makes them differ; the difference since the start
/// is compared, so small steps that add up are seen too.
/// </summary>
public sealed class ClockStepDetector
{
    private readonly TimeProvider _time;
    private readonly TimeSpan _tolerance;
    private readonly DateTimeOffset _wallStart;
    private readonly long _monotonicStart;

    public ClockStepDetector(TimeProvider time, TimeSpan tolerance)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(tolerance, TimeSpan.Zero);
        _time = time;
        _tolerance = tolerance;
        _wallStart = time.GetUtcNow();
        _monotonicStart = time.GetTimestamp();
    }

    /// <summary>How far the wall clock has moved against the monotonic clock since the start (positive: forward).</summary>
    public TimeSpan Drift => (_time.GetUtcNow() - _wallStart) - _time.GetElapsedTime(_monotonicStart);

    /// <summary>The step, when the wall clock has moved more than the tolerance against the monotonic clock; else null.</summary>
    public TimeSpan? Check()
    {
        TimeSpan drift = Drift;
        return drift.Duration() > _tolerance ? drift : null;
    }

    /// <summary>A run's end reason for a step: <see cref="ClockReasons.ClockStep"/>, then by how much, e.g. "clock_step: +5.000 s ...".</summary>
    public static string Reason(TimeSpan step) =>
        string.Create(CultureInfo.InvariantCulture,
            $"{ClockReasons.ClockStep}: the wall clock stepped {(step >= TimeSpan.Zero ? "+" : "-")}{step.Duration().TotalSeconds:F3} s against the monotonic clock");
}
