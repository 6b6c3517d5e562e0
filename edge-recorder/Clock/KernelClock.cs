using System.Runtime.InteropServices;
using Cctv.Shared.Domain;

namespace Cctv.EdgeRecorder.Clock;

/// <summary>Reads the state of the recorder's clock.</summary>
public interface IClockStateReader
{
    ClockState Read();
}

/// <summary>
/// The Linux kernel's view of its clock through <c>adjtimex(2)</c> with <c>modes = 0</c>: a read, it changes nothing
/// and needs no privilege. Elsewhere (or if the call fails) the state is <see cref="ClockState.Unknown"/>.
/// </summary>
public sealed class KernelClock(TimeProvider time) : IClockStateReader
{
    /// <summary>adjtimex's return value when the clock is not synchronised.</summary>
    public const int TimeError = 5;
    /// <summary>status: the clock is not synchronised.</summary>
    public const int StaUnsync = 0x0040;
    /// <summary>status: offset is in nanoseconds, not microseconds.</summary>
    public const int StaNano = 0x2000;

    public ClockState Read()
    {
        DateTimeOffset now = time.GetUtcNow();
        if (!OperatingSystem.IsLinux() || IntPtr.Size != 8)
        {
            return ClockState.Unknown(now, "adjtimex is read on 64-bit Linux only");
        }
        var t = new Timex();
        int state;
        try
        {
            state = NativeMethods.Adjtimex(ref t);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return ClockState.Unknown(now, $"adjtimex is not available ({e.Message})");
        }
        if (state < 0)
        {
            return ClockState.Unknown(now, $"adjtimex failed (errno {Marshal.GetLastPInvokeError()})");
        }
        return Parse(now, state, t);
    }

    /// <summary>The state from what adjtimex returned and filled in (offset in µs, or ns under STA_NANO; errors in µs).</summary>
    public static ClockState Parse(DateTimeOffset readAt, int state, Timex t)
    {
        bool synchronised = state != TimeError && (t.Status & StaUnsync) == 0;
        TimeSpan offset = (t.Status & StaNano) != 0 ? TimeSpan.FromTicks(t.Offset / 100) : TimeSpan.FromMicroseconds(t.Offset);
        return new ClockState(readAt, synchronised, offset, TimeSpan.FromMicroseconds(t.MaxError), TimeSpan.FromMicroseconds(t.EstError), ClockState.Adjtimex);
    }

    /// <summary>The head of glibc's <c>struct timex</c> on 64-bit Linux (x86-64 and arm64 alike), padded to its 208 bytes.</summary>
    [StructLayout(LayoutKind.Explicit, Size = 208)]
    public struct Timex
    {
        [FieldOffset(0)] public uint Modes;
        [FieldOffset(8)] public long Offset;
        [FieldOffset(16)] public long Freq;
        [FieldOffset(24)] public long MaxError;
        [FieldOffset(32)] public long EstError;
        [FieldOffset(40)] public int Status;
    }

    private static class NativeMethods
    {
        [DllImport("libc", EntryPoint = "adjtimex", SetLastError = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern int Adjtimex(ref Timex buffer);
    }
}
