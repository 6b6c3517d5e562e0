using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Cctv.EdgeRecorder.Tests.Cameras;

/// <summary>
/// An RTSP "camera" on 127.0.0.1 that asks every request for Basic credentials and records the ones it is sent,
/// decoded: what a real camera would check, byte for byte. It never serves media (each request gets a 401).
/// </summary>
public sealed class AuthCapturingCamera : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;
    private readonly BlockingCollection<string> _credentials = [];

    public AuthCapturingCamera()
    {
        _listener.Start();
        _accepting = AcceptAsync();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    /// <summary>The first user:password a client sent, or null if none came within <paramref name="timeout"/>.</summary>
    public string? FirstCredentials(TimeSpan timeout) => _credentials.TryTake(out string? c, timeout) ? c : null;

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            _ = ServeAsync(client);
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        using (client)
        {
            NetworkStream stream = client.GetStream();
            var reader = new StreamReader(stream, Encoding.Latin1);
            try
            {
                while (!_stop.IsCancellationRequested)
                {
                    string cseq = "0";
                    string? line;
                    bool any = false;
                    while (!string.IsNullOrEmpty(line = await reader.ReadLineAsync(_stop.Token)))
                    {
                        any = true;
                        if (line.StartsWith("CSeq:", StringComparison.OrdinalIgnoreCase))
                        {
                            cseq = line[5..].Trim();
                        }
                        else if (line.StartsWith("Authorization: Basic ", StringComparison.OrdinalIgnoreCase))
                        {
                            _credentials.Add(Encoding.UTF8.GetString(Convert.FromBase64String(line["Authorization: Basic ".Length..].Trim())));
                        }
                    }
                    if (!any)
                    {
                        return;
                    }
                    byte[] answer = Encoding.ASCII.GetBytes($"RTSP/1.0 401 Unauthorized\r\nCSeq: {cseq}\r\nWWW-Authenticate: Basic realm=\"camera\"\r\n\r\n");
                    await stream.WriteAsync(answer, _stop.Token);
                }
            }
            catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException)
            {
                // The client hung up, or the test is over.
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _accepting;
        _stop.Dispose();
        _credentials.Dispose();
    }
}
