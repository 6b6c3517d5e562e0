using System.Diagnostics;
using Microsoft.Extensions.Logging;

namespace Cctv.EdgeRecorder.Cameras;

/// <summary>
/// One running FFmpeg: started from an argument list, its stderr streamed to the log or counted in a summary (the
/// last lines kept to explain an exit), stopped in stages: 'q' on stdin so it closes the segment cleanly, a bounded wait,
/// then a kill.
/// Why not FFMpegCore (which probes for validate, migrate and the sealer, see <see cref="MediaProbe"/>): it hands
/// FFmpeg one argument string, re-split by .NET's quoting rules, so a camera password with a quote or a backslash
/// would change the command line; <see cref="ProcessStartInfo.ArgumentList"/> passes each argument as its own
/// exec argument, untouched (FfmpegProcessTests proves the password's bytes reach the camera). It also has no
/// staged stop ('q', a bounded wait, a kill) nor a stderr stream kept for the log.
/// </summary>
public sealed class FfmpegProcess : IAsyncDisposable
{
    private const int KeptLines = 8;
    /// <summary>
    /// The buffer that drains stdout. FFmpeg writes its segments to files and nothing to stdout, but the pipe is drained so
    /// that a child which does write never blocks; the drain's read stays pending for the child's whole life, and
    /// <see cref="Stream.CopyToAsync(Stream)"/>'s default (81,920 bytes, rented from the shared pool as 128 KiB) would hold
    /// a large object per camera for nothing.
    /// </summary>
    private const int StdoutDrainBytes = 4096;
    private readonly Process _process;
    private readonly Task _stderrPump;
    private readonly Queue<string> _lastLines = new();
    private readonly ILogger _log;
    private readonly string _cameraId;
    private readonly FfmpegWarningSummary? _warnings;

    private FfmpegProcess(Process process, ILogger log, string cameraId, FfmpegWarningSummary? warnings)
    {
        _process = process;
        _log = log;
        _cameraId = cameraId;
        _warnings = warnings;
        _stderrPump = Task.WhenAll(PumpStderrAsync(), process.StandardOutput.BaseStream.CopyToAsync(Stream.Null, StdoutDrainBytes));
    }

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    /// <param name="warnings">When given, FFmpeg's stderr lines are counted there (and summarised by its owner) instead of logged one by one.</param>
    public static FfmpegProcess Start(string executable, IReadOnlyList<string> arguments, ILogger log, string cameraId, FfmpegWarningSummary? warnings = null)
    {
        var psi = new ProcessStartInfo(executable)
        {
            RedirectStandardInput = true,
            RedirectStandardError = true,
            // Never inherit the agent's stdout: a child outliving a killed agent would hold its pipe open.
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        foreach (string argument in arguments)
        {
            psi.ArgumentList.Add(argument);
        }
        try
        {
            Process process = Process.Start(psi) ?? throw new InvalidOperationException($"{executable} did not start");
            return new FfmpegProcess(process, log, cameraId, warnings);
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new FfmpegNotFoundException(executable, e);
        }
    }

    /// <summary>The last lines FFmpeg wrote to stderr, most recent last.</summary>
    public string? LastError
    {
        get
        {
            lock (_lastLines)
            {
                return _lastLines.Count == 0 ? null : _lastLines.Last();
            }
        }
    }

    public Task WaitForExitAsync(CancellationToken cancellationToken) => _process.WaitForExitAsync(cancellationToken);

    public int ExitCode => _process.ExitCode;

    /// <summary>'q', then up to <paramref name="grace"/> for FFmpeg to finish the segment, then a kill.</summary>
    public async Task StopAsync(TimeSpan grace)
    {
        if (_process.HasExited)
        {
            return;
        }
        try
        {
            await _process.StandardInput.WriteAsync('q');
            await _process.StandardInput.FlushAsync();
        }
        catch (IOException)
        {
            // stdin closed: it is exiting anyway.
        }
        using var wait = new CancellationTokenSource(grace);
        try
        {
            await _process.WaitForExitAsync(wait.Token);
        }
        catch (OperationCanceledException)
        {
            _log.LogWarning("Camera {CameraId}: FFmpeg (pid {Pid}) did not stop within {Grace}; killing it", _cameraId, _process.Id, grace);
            Kill();
            await _process.WaitForExitAsync(CancellationToken.None);
        }
    }

    public void Kill()
    {
        try
        {
            _process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
    }

    private async Task PumpStderrAsync()
    {
        await Task.Yield();
        try
        {
            while (await _process.StandardError.ReadLineAsync() is { } line)
            {
                if (line.Length == 0)
                {
                    continue;
                }
                lock (_lastLines)
                {
                    _lastLines.Enqueue(line);
                    if (_lastLines.Count > KeptLines)
                    {
                        _lastLines.Dequeue();
                    }
                }
                if (_warnings is null)
                {
                    _log.LogWarning("Camera {CameraId}: ffmpeg: {Line}", _cameraId, line);
                }
                else
                {
                    _warnings.Add(line);
                }
            }
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
            // The pipe closed with the process.
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            Kill();
            await _process.WaitForExitAsync(CancellationToken.None);
        }
        await _stderrPump;
        _process.Dispose();
    }
}

/// <summary>FFmpeg (or ffprobe) is not installed or not at the configured path.</summary>
public sealed class FfmpegNotFoundException(string executable, Exception inner)
    : Exception($"'{executable}' could not be started ({inner.Message}). Fix: install FFmpeg (Debian: apt-get install -y ffmpeg) or set Recorder:Ffmpeg:Path (ffmpeg) and Recorder:Ffmpeg:ProbePath (ffprobe).", inner);
