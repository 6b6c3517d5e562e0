using System.Runtime.InteropServices;

namespace Cctv.Benchmarks;

/// <summary>
/// A benchmark's stop: Ctrl+C (SIGINT) or SIGTERM (what <c>kill</c> and <c>timeout</c> send) cancels <see cref="Token"/>,
/// and the benchmark's own cleanup stops what it started (FFmpegs, the agent, the RTSP server). On SIGTERM the runtime
/// otherwise ends the process at once and leaves those running with no parent.
/// </summary>
internal sealed class StopSignal : IDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly PosixSignalRegistration[] _registrations;

    public StopSignal() =>
        _registrations = [PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop), PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop)];

    /// <summary>Whether a stop signal came (so a cancellation is the operator's, not a timeout's).</summary>
    public static bool Received { get; private set; }

    /// <summary>Cancelled by the first stop signal.</summary>
    public CancellationToken Token => _stop.Token;

    private void Stop(PosixSignalContext context)
    {
        context.Cancel = true; // the cleanup runs; SIGKILL is there for a benchmark that does not stop
        Received = true;
        _stop.Cancel();
    }

    public void Dispose()
    {
        foreach (PosixSignalRegistration registration in _registrations)
        {
            registration.Dispose();
        }
        _stop.Dispose();
    }
}
