using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Cctv.EdgeRecorder.Cameras;
using Cctv.EdgeRecorder.Commands;
using Microsoft.Extensions.Logging;

namespace Cctv.Demo;

/// <summary>
/// Cameras for the demo and the tests, served the way real ones are: a real RTSP server process (Debian's
/// rtsp-server-perl; it serves clients over UDP) with one FFmpeg per camera publishing an H.264 test
/// pattern in real time. Taking a camera away stops its publisher; when no camera is left, the server
/// stops too, as a camera that loses power vanishes. Each camera's pattern has a hue of its own (from its ID): two
/// cameras never send the same picture, so their recordings never have the same bytes. One server serves every camera because
/// rtsp-server-perl resets its RTP port base to a built-in default whenever it has no mounts (ignoring
/// --rtp_start_port), so two servers, or a server whose mounts all went away, re-bind ports in use.
/// </summary>
public sealed class SyntheticCameras : IAsyncDisposable
{
    public const string RtspServerExecutable = "rtsp-server-perl";
    private readonly ProcessRegistry _registry;
    private readonly ILogger _log;
    private readonly string _ffmpeg;
    private readonly int _clientPort = FreeTcpPort();
    private readonly int _sourcePort = FreeTcpPort();
    private readonly Dictionary<string, Process> _running = [];
    private readonly int? _bitsPerSecond;
    private Process? _server;

    /// <param name="bitsPerSecond">A constant bit rate for every camera (x264's CBR with filler); unset, the pattern's own
    /// rate, about 1.25 Mbit/s at 640x360 and 15 frames a second.</param>
    public SyntheticCameras(ProcessRegistry registry, ILogger log, string ffmpeg = "ffmpeg", int? bitsPerSecond = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(bitsPerSecond ?? 100_000, 100_000, nameof(bitsPerSecond));
        _registry = registry;
        _log = log;
        _ffmpeg = ffmpeg;
        _bitsPerSecond = bitsPerSecond;
    }

    /// <summary>The camera's address; fixed for the life of this object.</summary>
    public Uri UrlOf(string cameraId) => new($"rtsp://127.0.0.1:{_clientPort}/{cameraId}");

    /// <summary>
    /// Starts (or restarts) the camera and waits until it serves its stream: a client that connects while the
    /// publisher is still announcing can be left without video.
    /// </summary>
    public async Task StartAsync(string cameraId, CancellationToken cancellationToken)
    {
        Stop(cameraId);
        if (_server is null)
        {
            _server = StartProcess(RtspServerExecutable,
                ["--clientport", Str(_clientPort), "--serverport", Str(_sourcePort), "--client_listen_address", "127.0.0.1",
                 "--source_listen_address", "127.0.0.1"],
                "install it: apt-get install rtsp-server-perl");
            _registry.Register("demo-rtsp-server", _server.Id, $"--clientport {_clientPort}");
            await WaitForPortAsync(_sourcePort, TimeSpan.FromSeconds(15), cancellationToken);
        }
        int sourcePort = _sourcePort;
        List<string> arguments =
            ["-hide_banner", "-nostats", "-loglevel", "error", "-re", "-f", "lavfi", "-i", $"testsrc2=size=640x360:rate=15,hue=h={HueOf(cameraId)}",
             "-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency", "-g", "15", "-pix_fmt", "yuv420p"];
        if (_bitsPerSecond is int rate)
        {
            string bits = Str(rate);
            arguments.AddRange(["-b:v", bits, "-minrate", bits, "-maxrate", bits, "-bufsize", Str(rate / 2), "-x264-params", "nal-hrd=cbr"]);
        }
        arguments.AddRange(["-f", "rtsp", $"rtsp://127.0.0.1:{sourcePort}/{cameraId}"]);
        Process publisher = StartProcess(_ffmpeg, [.. arguments], "install it: apt-get install ffmpeg");
        _registry.Register($"demo-{cameraId}-publisher", publisher.Id, $"rtsp://127.0.0.1:{sourcePort}/{cameraId}");
        _running[cameraId] = publisher;

        DateTime deadline = DateTime.UtcNow.AddSeconds(15);
        while (!await IsLiveAsync(cameraId, cancellationToken))
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"synthetic camera {cameraId} did not come up on {UrlOf(cameraId)} within 15 s");
            }
            await Task.Delay(100, cancellationToken);
        }
    }

    /// <summary>True when the camera answers DESCRIBE with 200 and an SDP with video.</summary>
    public async Task<bool> IsLiveAsync(string cameraId, CancellationToken cancellationToken)
    {
        try
        {
            using var client = new TcpClient();
            await client.ConnectAsync(IPAddress.Loopback, _clientPort, cancellationToken);
            NetworkStream stream = client.GetStream();
            byte[] request = System.Text.Encoding.ASCII.GetBytes($"DESCRIBE {UrlOf(cameraId)} RTSP/1.0\r\nCSeq: 1\r\nAccept: application/sdp\r\n\r\n");
            await stream.WriteAsync(request, cancellationToken);
            byte[] buffer = new byte[4096];
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(2));
            int read = await stream.ReadAsync(buffer, timeout.Token);
            string reply = System.Text.Encoding.ASCII.GetString(buffer, 0, read);
            return reply.StartsWith("RTSP/1.0 200", StringComparison.Ordinal) && reply.Contains("m=video", StringComparison.Ordinal);
        }
        catch (Exception e) when (e is SocketException or IOException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }

    /// <summary>Takes the camera away: its publisher stops, and the server too when no camera is left on it.</summary>
    public void Stop(string cameraId)
    {
        if (_running.Remove(cameraId, out Process? publisher))
        {
            Kill(publisher);
            _registry.Unregister($"demo-{cameraId}-publisher");
        }
        if (_running.Count == 0 && _server is not null)
        {
            Kill(_server);
            _registry.Unregister("demo-rtsp-server");
            _server = null;
        }
    }

    public ValueTask DisposeAsync()
    {
        foreach (string id in _running.Keys.ToList())
        {
            Stop(id);
        }
        return ValueTask.CompletedTask;
    }

    private Process StartProcess(string executable, string[] arguments, string fix)
    {
        var psi = new ProcessStartInfo(executable)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (string a in arguments)
        {
            psi.ArgumentList.Add(a);
        }
        Process process;
        try
        {
            process = Process.Start(psi)!;
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new MissingToolException($"'{executable}' could not be started ({e.Message}): {fix}");
        }
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, e) =>
        {
            if (!string.IsNullOrEmpty(e.Data))
            {
                _log.LogDebug("{Executable}: {Line}", executable, e.Data);
            }
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private static void Kill(Process process)
    {
        try
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit(5000);
        }
        catch (InvalidOperationException)
        {
        }
        process.Dispose();
    }

    private static async Task WaitForPortAsync(int port, TimeSpan timeout, CancellationToken cancellationToken)
    {
        DateTime deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, port, cancellationToken);
                return;
            }
            catch (SocketException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(100, cancellationToken);
            }
        }
    }

    private static int FreeTcpPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>The hue (degrees) a camera's pattern is turned by: the same for the same ID, different for IDs that differ in one character.</summary>
    public static int HueOf(string cameraId) => cameraId.Aggregate(0, (hue, c) => (hue * 31 + c) % 360);

    private static string Str(int value) => value.ToString(CultureInfo.InvariantCulture);
}
