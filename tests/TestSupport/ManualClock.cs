namespace Cctv.TestSupport;

/// <summary>A clock tests move by hand (the registry here has no Microsoft.Extensions.TimeProvider.Testing).</summary>
public sealed class ManualClock(DateTimeOffset start) : TimeProvider
{
    private DateTimeOffset _now = start;

    public override DateTimeOffset GetUtcNow() => _now;

    public void Advance(TimeSpan by) => _now += by;
}
