using System.Runtime.InteropServices;
using Cctv.EdgeRecorder.Pipeline;

namespace Cctv.EdgeRecorder.Tests.Pipeline;

public sealed class NativeHeapTests
{
    private const int Blocks = 16_384;
    private const int BlockBytes = 4_000; // below glibc's mmap threshold: from its heaps, as the JIT's scratch is

    [Fact]
    public void Trim_GivesFreedMallocMemoryBackToTheKernel()
    {
        Assert.True(OperatingSystem.IsLinux(), "malloc_trim is glibc's: this test needs Linux, as the recorder does");
        byte[] ones = [.. Enumerable.Repeat((byte)1, BlockBytes)];
        var blocks = new nint[Blocks];
        for (int i = 0; i < Blocks; i++)
        {
            blocks[i] = Marshal.AllocHGlobal(BlockBytes); // malloc, on Linux
            Marshal.Copy(ones, 0, blocks[i], BlockBytes); // resident
        }
        nint above = Marshal.AllocHGlobal(BlockBytes); // keeps the freed blocks off the top of the heap, where free() would give them back itself
        try
        {
            for (int i = 0; i < Blocks; i++)
            {
                Marshal.FreeHGlobal(blocks[i]);
            }
            long freedButResident = ResidentBytes();

            Assert.True(NativeHeap.Trim(), "malloc_trim was not found in libc");
            long trimmed = ResidentBytes();

            // 64 MB were freed; other tests of this process allocate meanwhile, so ask for half.
            long given = freedButResident - trimmed;
            Assert.True(given >= Blocks * (long)BlockBytes / 2, $"the trim gave back {given >> 20} MiB of {Blocks * (long)BlockBytes >> 20} MiB freed");
        }
        finally
        {
            Marshal.FreeHGlobal(above);
        }
    }

    /// <summary>This process's resident set from /proc/self/statm (pages), not a cached figure.</summary>
    private static long ResidentBytes() =>
        long.Parse(File.ReadAllText("/proc/self/statm").Split(' ')[1]) * Environment.SystemPageSize;
}
