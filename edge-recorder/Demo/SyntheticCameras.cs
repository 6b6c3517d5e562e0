using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Cctv.EdgeRecorder.Cameras;
using Microsoft.Extensions.Logging;

namespace Cctv.EdgeRecorder.Demo;

/// <summary>
/// Cameras for the demo and the tests, served the way real ones are: a real RTSP server process
/// (Debian's rtsp-server-perl; it serves clients over UDP) with one FFmpeg per camera publishing an
/// H.264 test pattern to it in real time. Cameras can be taken away and brought back.
/// </summary>
public sealed class SyntheticCameras : IAsyncDisposable
{
    public const string RtspServerExecutable = "rtsp-server-perl";
    private readonly ProcessRegistry _registry;
    private readonly ILogger _log;
    private readonly string _ffmpeg;
    private readonly Dictionary<string, Process> _publishers = [];
    private Process? _server;

    public SyntheticCameras(ProcessRegistry registry, ILogger log, string ffmpeg = "ffmpeg")
    {
        _registry = registry;
        _log = log;
        _ffmpeg = ffmpeg;
        ClientPort = FreeTcpPort();
        SourcePort = FreeTcpPort();
    }

    public int ClientPort { get; }

    public int SourcePort { get; }

    public Uri UrlOf(string cameraId) => new($"rtsp://127.0.0.1:{ClientPort}/{cameraId}");

    public async Task StartServerAsync(CancellationToken cancellationToken)
    {
        int rtpStart = 20000 + (Random.Shared.Next(0, 10000) * 2);
        var psi = new ProcessStartInfo(RtspServerExecutable)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (string a in (string[])["--clientport", Str(ClientPort), "--serverport", Str(SourcePort), "--client_listen_address", "127.0.0.1",
                     "--source_listen_address", "127.0.0.1", "--rtp_start_port", Str(rtpStart)])
        {
            psi.ArgumentList.Add(a);
        }
        try
        {
            _server = Process.Start(psi)!;
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException($"'{RtspServerExecutable}' could not be started ({e.Message}). Fix: apt-get install rtsp-server-perl.", e);
        }
        _server.OutputDataReceived += (_, _) => { };
        _server.ErrorDataReceived += (_, _) => { };
        _server.BeginOutputReadLine();
        _server.BeginErrorReadLine();
        _registry.Register("demo-rtsp-server", _server.Id, $"--clientport {ClientPort}");
        await WaitForPortAsync(SourcePort, TimeSpan.FromSeconds(15), cancellationToken);
        await WaitForPortAsync(ClientPort, TimeSpan.FromSeconds(15), cancellationToken);
    }

    /// <summary>Starts (or restarts) the camera's publisher.</summary>
    public void Start(string cameraId)
    {
        Stop(cameraId);
        string target = $"rtsp://127.0.0.1:{SourcePort}/{cameraId}";
        var psi = new ProcessStartInfo(_ffmpeg)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardError = true,
        };
        foreach (string a in (string[])["-hide_banner", "-nostats", "-loglevel", "error", "-re",
                     "-f", "lavfi", "-i", "testsrc2=size=640x360:rate=15",
                     "-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency", "-g", "15", "-pix_fmt", "yuv420p",
                     "-f", "rtsp", target])
        {
            psi.ArgumentList.Add(a);
        }
        Process publisher = Process.Start(psi)!;
        publisher.ErrorDataReceived += (_, e) =>
        {
            if (!string.IsNullOrEmpty(e.Data))
            {
                _log.LogDebug("synthetic {CameraId}: {Line}", cameraId, e.Data);
            }
        };
        publisher.BeginErrorReadLine();
        _publishers[cameraId] = publisher;
        _registry.Register("demo-" + cameraId, publisher.Id, target);
    }

    /// <summary>Takes the camera away, as a camera that loses power or network would vanish.</summary>
    public void Stop(string cameraId)
    {
        if (_publishers.Remove(cameraId, out Process? publisher))
        {
            Kill(publisher);
            _registry.Unregister("demo-" + cameraId);
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (string id in _publishers.Keys.ToList())
        {
            Stop(id);
        }
        if (_server is not null)
        {
            Kill(_server);
            _registry.Unregister("demo-rtsp-server");
            _server = null;
        }
        await Task.CompletedTask;
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

    private static string Str(int value) => value.ToString(CultureInfo.InvariantCulture);
}
