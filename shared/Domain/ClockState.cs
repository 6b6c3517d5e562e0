namespace Cctv.Shared.Domain;

/// <summary>
/// How far a recorder's clock could be trusted when a run started, as its kernel reported it (Linux <c>adjtimex</c>,
/// read-only). Every time of a run's segments comes from that clock, so this says how far they might be off.
/// </summary>
/// <param name="ReadAt">When it was read (the recorder's wall clock).</param>
/// <param name="Synchronised">The kernel holds the clock synchronised (by NTP, chrony, PTP): not TIME_ERROR, not STA_UNSYNC.</param>
/// <param name="Offset">The offset from the time source the kernel is still correcting (adjtimex's <c>offset</c>); null when unknown.</param>
/// <param name="MaxError">The most the clock may be off (adjtimex's <c>maxerror</c>); null when unknown.</param>
/// <param name="EstimatedError">The error the kernel estimates (adjtimex's <c>esterror</c>); null when unknown.</param>
/// <param name="Source">Where it was read: <c>adjtimex</c>, or why it could not be (<see cref="Unknown"/>).</param>
public sealed record ClockState(DateTimeOffset ReadAt, bool Synchronised, TimeSpan? Offset, TimeSpan? MaxError, TimeSpan? EstimatedError, string Source)
{
    /// <summary>The source of a state read from the kernel.</summary>
    public const string Adjtimex = "adjtimex";

    /// <summary>A state that could not be read (not Linux, the call failed): not synchronised, nothing known.</summary>
    public static ClockState Unknown(DateTimeOffset readAt, string why) => new(readAt, false, null, null, null, $"unknown: {why}");
}

/// <summary>Reasons about the clock, as the recorder writes them into a run's end and the gap after it.</summary>
public static class ClockReasons
{
    /// <summary>A run ended because the wall clock stepped against the monotonic clock; the reason goes on with the size of the step.</summary>
    public const string ClockStep = "clock_step";

    public static bool IsClockStep(string? reason) => reason is not null && reason.StartsWith(ClockStep, StringComparison.Ordinal);
}
