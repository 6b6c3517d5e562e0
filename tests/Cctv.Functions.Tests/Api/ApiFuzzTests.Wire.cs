using System.Net.Sockets;
using System.Text;

namespace Cctv.Functions.Tests.Api;

/// <summary>How the fuzzer's probes go on the wire: through HttpClient where it sends them unchanged, else raw on a socket.</summary>
public sealed partial class ApiFuzzTests
{
    /// <summary>The status of an answer the server did not give: it closed the connection (Kestrel refusing an oversized request).</summary>
    private const int Dropped = -1;

    /// <summary>What a probe expects of its answer beyond the rules every answer obeys.</summary>
    private enum Expect
    {
        /// <summary>Only the rules of every answer (below 500, nothing of site B, sandboxed /storage).</summary>
        Any,
        /// <summary>2xx or 3xx: a request site A may make.</summary>
        Success,
        /// <summary>Exactly 400: a page token not issued for this caller and query, a refused Host, an ambiguous camera.</summary>
        BadRequest,
        /// <summary>Exactly 401: a function (<c>/functions/*</c>) asked without the operator's credential.</summary>
        Unauthorized,
        /// <summary>Exactly 404: a recording of site B, or an operator's page.</summary>
        NotFound,
        /// <summary>Any 4xx: never done, never a server error (poison events, forged links, unmapped functions).</summary>
        ClientError,
        /// <summary>Anything but 400: the Host was an allowed one.</summary>
        NotBadRequest,
    }

    /// <summary>One hostile request.</summary>
    /// <param name="Kind">Which generator made it (for the histogram and the failure messages).</param>
    /// <param name="Target">The request target as sent (path and query; raw probes send it unchanged).</param>
    /// <param name="HostLines">The Host header lines to send raw ("" for none); null: the server's own address.</param>
    /// <param name="MayBeDropped">Oversized: Kestrel may close the connection instead of answering.</param>
    /// <param name="AsOperator">Sent with an operator's credential: what it may see is not checked, only the status.</param>
    /// <param name="MustContain">Text the answer must contain (the camera a bare ID resolved to).</param>
    /// <param name="Lists">The recording IDs a list answer must hold, in order (a full page of site A's, after the token's cursor).</param>
    private sealed record Probe(
        string Kind,
        string Method,
        string Target,
        string? Authorization,
        Expect Expect = Expect.Any,
        (string Name, string Value)[]? Headers = null,
        byte[]? Body = null,
        string? BodyType = null,
        bool Raw = false,
        string? HostLines = null,
        string Version = "HTTP/1.1",
        bool MayBeDropped = false,
        bool AsOperator = false,
        string? MustContain = null,
        string[]? Lists = null)
    {
        /// <summary>Everything the request carried, as text (and URL-decoded), so an echo of it is not taken for a leak.</summary>
        public string Carried { get; } = Describe(Method, Target, Authorization, Headers, Body, HostLines);

        private static string Describe(string method, string target, string? authorization, (string Name, string Value)[]? headers, byte[]? body, string? hostLines)
        {
            var sb = new StringBuilder().Append(method).Append(' ').Append(target).Append('\n').Append(authorization).Append('\n').Append(hostLines).Append('\n');
            foreach ((string name, string value) in headers ?? [])
            {
                sb.Append(name).Append(": ").Append(value).Append('\n');
            }
            if (body is not null)
            {
                sb.Append(Encoding.UTF8.GetString(body)).Append('\n');
            }
            string text = sb.ToString();
            string decoded;
            try
            {
                decoded = Uri.UnescapeDataString(text);
            }
            catch (UriFormatException)
            {
                decoded = "";
            }
            return text + "\n" + decoded + "\n" + text.Replace('+', ' ');
        }
    }

    /// <summary>An answer: its status, its whole text (status line, headers, body) and its headers by name.</summary>
    private sealed record Answer(int Status, string Text, IReadOnlyList<(string Name, string Value)> Headers, string Body)
    {
        public string? Header(string name) => Headers.Where(h => h.Name.Equals(name, StringComparison.OrdinalIgnoreCase)).Select(h => h.Value).FirstOrDefault();
    }

    private static async Task<Answer> SendAsync(HttpClient client, Uri server, Probe probe, CancellationToken ct)
    {
        if (probe.Raw || !SendableByHttpClient(probe) || !Uri.TryCreate(probe.Target, UriKind.Relative, out Uri? target))
        {
            return await SendRawAsync(server, probe, ct);
        }
        using var request = new HttpRequestMessage(new HttpMethod(probe.Method), target);
        if (probe.Authorization is { } authorization)
        {
            request.Headers.TryAddWithoutValidation("Authorization", authorization);
        }
        if (probe.Body is { } body)
        {
            request.Content = new ByteArrayContent(body);
            if (probe.BodyType is { } type)
            {
                request.Content.Headers.TryAddWithoutValidation("Content-Type", type);
            }
        }
        foreach ((string name, string value) in probe.Headers ?? [])
        {
            if (!request.Headers.TryAddWithoutValidation(name, value))
            {
                request.Content ??= new ByteArrayContent([]);
                request.Content.Headers.TryAddWithoutValidation(name, value);
            }
        }
        try
        {
            using HttpResponseMessage response = await client.SendAsync(request, ct);
            string text = await response.Content.ReadAsStringAsync(ct);
            List<(string, string)> headers = [.. response.Headers.Concat(response.Content.Headers).Select(h => (h.Key, string.Join(", ", h.Value)))];
            var all = new StringBuilder().Append($"HTTP/{response.Version} {(int)response.StatusCode} {response.ReasonPhrase}\n");
            foreach ((string name, string value) in headers)
            {
                all.Append(name).Append(": ").Append(value).Append('\n');
            }
            return new Answer((int)response.StatusCode, all.Append('\n').Append(text).ToString(), headers, text);
        }
        catch (HttpRequestException e)
        {
            return new Answer(Dropped, $"{e.HttpRequestError}: {e.Message}", [], "");
        }
    }

    /// <summary>HttpClient sends ASCII header values without line breaks only, and normalizes "..", so the rest goes raw.</summary>
    private static bool SendableByHttpClient(Probe probe) =>
        probe.HostLines is null && probe.Version == "HTTP/1.1" && Ascii.IsValid(probe.Target) && !probe.Target.Contains("..", StringComparison.Ordinal)
        && !probe.Target.Any(char.IsControl) && !probe.Target.Contains(' ', StringComparison.Ordinal)
        && (probe.Authorization is null || (Ascii.IsValid(probe.Authorization) && !probe.Authorization.Any(char.IsControl)))
        && (probe.Headers ?? []).All(h => Ascii.IsValid(h.Value) && !h.Value.Any(char.IsControl));

    /// <summary>The request exactly as the probe says (no client-side normalization of the target, the Host or the version), then Connection: close.</summary>
    private static async Task<Answer> SendRawAsync(Uri server, Probe probe, CancellationToken ct)
    {
        var head = new StringBuilder($"{probe.Method} {probe.Target} {probe.Version}\r\n");
        head.Append(probe.HostLines is null ? $"Host: {server.Authority}\r\n" : probe.HostLines);
        if (probe.Authorization is { } authorization)
        {
            head.Append("Authorization: ").Append(authorization).Append("\r\n");
        }
        foreach ((string name, string value) in probe.Headers ?? [])
        {
            head.Append(name).Append(": ").Append(value).Append("\r\n");
        }
        if (probe.Body is { } body)
        {
            head.Append("Content-Type: ").Append(probe.BodyType ?? "application/octet-stream").Append("\r\nContent-Length: ").Append(body.Length).Append("\r\n");
        }
        head.Append("Connection: close\r\n\r\n");
        byte[] bytes = [.. Encoding.UTF8.GetBytes(head.ToString()), .. probe.Body ?? []];

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(server.Host, server.Port, timeout.Token);
        NetworkStream stream = tcp.GetStream();
        string? writeError = null;
        try
        {
            await stream.WriteAsync(bytes, timeout.Token);
        }
        catch (IOException e)
        {
            writeError = e.Message; // the server may answer (431, 414) and close before it has read everything
        }
        var received = new MemoryStream();
        try
        {
            await stream.CopyToAsync(received, timeout.Token);
        }
        catch (IOException e)
        {
            writeError ??= e.Message;
        }
        string text = Encoding.UTF8.GetString(received.ToArray());
        return Parse(text) ?? new Answer(Dropped, writeError ?? "the connection closed without an answer", [], "");
    }

    private static Answer? Parse(string text)
    {
        int end = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        if (end < 0)
        {
            return null;
        }
        string[] lines = text[..end].Split("\r\n");
        string[] statusLine = lines[0].Split(' ', 3);
        if (statusLine.Length < 2 || !statusLine[0].StartsWith("HTTP/", StringComparison.Ordinal) || !int.TryParse(statusLine[1], out int status))
        {
            return new Answer(0, text, [], "");
        }
        List<(string, string)> headers = [.. lines.Skip(1).Select(l => l.Split(':', 2)).Where(p => p.Length == 2).Select(p => (p[0].Trim(), p[1].Trim()))];
        return new Answer(status, text, headers, text[(end + 4)..]);
    }
}
