using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;

namespace Cctv.EdgeRecorder.Commands;

/// <summary>
/// SIGTERM (systemd, <c>docker stop</c>), SIGINT (Ctrl+C) and SIGQUIT all stop a command the same way: the first one
/// cancels <see cref="Stopping"/> and the runtime does not terminate the process, so the command stops its FFmpegs in
/// stages, seals what they wrote and gives uploads their grace (<c>Recorder:StopGrace</c>) before it exits by itself.
/// A second signal cancels <see cref="Hurry"/>: the upload grace ends at once (FFmpeg still closes its segment, and what
/// was written is still sealed). Without this, .NET's default for SIGTERM ends the process at once and leaves its
/// FFmpeg children recording with no parent.
/// </summary>
public sealed class StopSignals : IDisposable
{
    private static readonly PosixSignal[] Handled = [PosixSignal.SIGTERM, PosixSignal.SIGINT, PosixSignal.SIGQUIT];
    private readonly CancellationTokenSource _stopping = new();
    private readonly CancellationTokenSource _hurry = new();
    private readonly List<PosixSignalRegistration> _registrations = [];
    private readonly ILogger _log;
    private int _received;

    public StopSignals(ILogger log)
    {
        _log = log;
        foreach (PosixSignal signal in Handled)
        {
            _registrations.Add(PosixSignalRegistration.Create(signal, OnSignal));
        }
    }

    /// <summary>Cancelled by the first stop signal: stop recording and finish.</summary>
    public CancellationToken Stopping => _stopping.Token;

    /// <summary>Cancelled by a second stop signal: skip what is left of the upload grace.</summary>
    public CancellationToken Hurry => _hurry.Token;

    /// <summary>The first stop signal received, if any.</summary>
    public PosixSignal? Received { get; private set; }

    private void OnSignal(PosixSignalContext context)
    {
        // Not the runtime's default (terminate now): the command stops in order and exits by itself.
        context.Cancel = true;
        if (Interlocked.Increment(ref _received) == 1)
        {
            Received = context.Signal;
            _log.LogInformation("{Signal} received: stopping (FFmpeg closes its segments, they are sealed, uploads under way get their grace); send it again to skip the upload grace",
                context.Signal);
            // Callbacks run on the thread pool, not on the runtime's signal thread.
            _ = _stopping.CancelAsync();
        }
        else
        {
            _log.LogWarning("{Signal} received again: ending the upload grace now", context.Signal);
            _ = _hurry.CancelAsync();
        }
    }

    public void Dispose()
    {
        foreach (PosixSignalRegistration registration in _registrations)
        {
            registration.Dispose();
        }
        _stopping.Dispose();
        _hurry.Dispose();
    }
}
