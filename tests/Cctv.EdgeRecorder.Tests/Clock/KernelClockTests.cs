using Cctv.EdgeRecorder.Clock;
using Cctv.Shared.Domain;

namespace Cctv.EdgeRecorder.Tests.Clock;

public sealed class KernelClockTests
{
    private static readonly DateTimeOffset At = new(2026, 12, 1, 20, 0, 0, TimeSpan.Zero);

    [Fact]
    public void AnUnsynchronisedKernel_AsAContainerWithoutNtpReportsIt_IsNotSynchronised_WithItsSixteenSecondMaxError()
    {
        // Recorded on this build machine: adjtimex returned TIME_ERROR (5), status STA_UNSYNC, maxerror = esterror = 16 s.
        var t = new KernelClock.Timex { Offset = 0, MaxError = 16_000_000, EstError = 16_000_000, Status = 0x40 };

        ClockState state = KernelClock.Parse(At, 5, t);

        Assert.Equal(new ClockState(At, false, TimeSpan.Zero, TimeSpan.FromSeconds(16), TimeSpan.FromSeconds(16), ClockState.Adjtimex), state);
    }

    [Fact]
    public void ASynchronisedKernel_InMicroseconds_IsSynchronised_WithItsOffsetAndErrors()
    {
        // TIME_OK (0), STA_PLL: offset -250 µs, max error 12.5 ms, estimated error 310 µs.
        var t = new KernelClock.Timex { Offset = -250, MaxError = 12_500, EstError = 310, Status = 0x0001 };

        ClockState state = KernelClock.Parse(At, 0, t);

        Assert.Equal(new ClockState(At, true, TimeSpan.FromMicroseconds(-250), TimeSpan.FromMilliseconds(12.5), TimeSpan.FromMicroseconds(310), ClockState.Adjtimex), state);
    }

    [Fact]
    public void AnOffsetInNanoseconds_UnderStaNano_IsReadAsNanoseconds()
    {
        var t = new KernelClock.Timex { Offset = 1_234_500, MaxError = 1000, EstError = 10, Status = 0x2001 };

        Assert.Equal(TimeSpan.FromMicroseconds(1234.5), KernelClock.Parse(At, 0, t).Offset);
    }

    [Fact]
    public void ASynchronisedReturnCode_WithStaUnsyncInTheStatus_IsNotSynchronised()
    {
        var t = new KernelClock.Timex { MaxError = 1000, EstError = 10, Status = 0x0041 };

        Assert.False(KernelClock.Parse(At, 0, t).Synchronised);
        Assert.False(KernelClock.Parse(At, KernelClock.TimeError, t with { Status = 0x0001 }).Synchronised);
    }

    [Fact]
    public void OnLinux_TheKernelIsRead_WithoutChangingAnything()
    {
        Assert.True(OperatingSystem.IsLinux(), "this test reads the Linux kernel's clock; it runs on Linux only");
        var clock = new KernelClock(TimeProvider.System);

        ClockState state = clock.Read();

        Assert.Equal(ClockState.Adjtimex, state.Source);
        Assert.NotNull(state.MaxError);
        Assert.True(state.MaxError >= TimeSpan.Zero, $"max error {state.MaxError}");
    }
}
