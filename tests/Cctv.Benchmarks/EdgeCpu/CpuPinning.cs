using System.Globalization;

namespace Cctv.Benchmarks.EdgeCpu;

/// <summary>
/// <c>--pin</c>: the recording side on cores of its own, the stand-ins on the last core. A deployed recorder shares its cores
/// with nothing of the benchmark's: here the cameras' RTSP server and publishers, the Firestore emulator's JVM and this
/// process (the test GCS server, the verifier) run on the same two cores, and they are busy while the agent talks to them
/// but not while FFmpeg runs alone, which shows up as FFmpeg's own CPU reading higher under the agent (the thirteenth
/// session pinned by hand: 4% higher pinned, 11-17% unpinned). Pinned, both phases run alike: this process and everything
/// it starts afterwards (threads and children inherit the mask) on the last core; FFmpeg alone, and the agent with its
/// children, started through <c>taskset</c> (which execs, so the pid measured is the program's) on the others.
/// </summary>
internal sealed class CpuPinning
{
    private CpuPinning(string recordingCpus, int standInCpu)
    {
        RecordingCpus = recordingCpus;
        StandInCpu = standInCpu;
    }

    /// <summary>The recording side's cores, as <c>taskset -c</c> takes them.</summary>
    public string RecordingCpus { get; }

    public int StandInCpu { get; }

    /// <summary>Pins this process (every thread it has now; later ones inherit) to the last core; the caller checked there are two or more.</summary>
    public static async Task<CpuPinning> PinStandInsAsync(CancellationToken cancellationToken)
    {
        int last = Environment.ProcessorCount - 1;
        var pinning = new CpuPinning(last == 1 ? "0" : $"0-{Str(last - 1)}", last);
        using var taskset = RtspStreams.Start("taskset", ["-a", "-p", "-c", Str(last), Str(Environment.ProcessId)], redirectStdout: true);
        await taskset.WaitForExitAsync(cancellationToken);
        if (taskset.ExitCode != 0)
        {
            throw new InvalidOperationException($"taskset could not pin this process to core {last} (exit {taskset.ExitCode})");
        }
        return pinning;
    }

    /// <summary>The command line that runs <paramref name="file"/> on the recording side's cores.</summary>
    public (string File, string[] Args) OnRecordingCores(string file, IEnumerable<string> args) => ("taskset", ["-c", RecordingCpus, file, .. args]);

    public override string ToString() => $"pinned: the recording side on core(s) {RecordingCpus}, the stand-ins (cameras, services, this process) on core {StandInCpu}";

    private static string Str(int value) => value.ToString(CultureInfo.InvariantCulture);
}
