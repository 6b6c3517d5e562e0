using System.Text;
using Microsoft.Playwright;

namespace Cctv.Player.Tests;

/// <summary>
/// Every response a page receives (its URL, status, headers and body, read as it arrives through Playwright's
/// <c>Response</c> event), to check that nothing the page was sent carries what its caller may not see.
/// </summary>
public sealed class PageTraffic
{
    private readonly Lock _lock = new();
    private List<Task<Received>> _received = [];

    public PageTraffic(IPage page)
    {
        page.Response += (_, response) =>
        {
            Task<Received> reading = ReadAsync(response);
            lock (_lock)
            {
                _received.Add(reading);
            }
        };
    }

    /// <summary>One response: the text it carried (URL, headers, body; bytes as Latin-1 so binary bodies are searched too).</summary>
    public sealed record Received(string Method, string Url, int Status, string Headers, string? Body, string? Unreadable)
    {
        public string Name => $"{Method} {Url} ({Status})";
    }

    /// <summary>Every response since the previous call (its body read to the end), and forgets them.</summary>
    public async Task<IReadOnlyList<Received>> TakeAsync()
    {
        List<Task<Received>> taken;
        lock (_lock)
        {
            taken = _received;
            _received = [];
        }
        return await Task.WhenAll(taken);
    }

    /// <summary>
    /// Fails when a response since the previous check carries any of <paramref name="secrets"/> in its URL, headers or
    /// body, or when the body of an API answer could not be read (so it could not be checked); returns the responses.
    /// </summary>
    public async Task<IReadOnlyList<Received>> AssertNoneCarriesAsync(IReadOnlyCollection<string> secrets, string whose)
    {
        IReadOnlyList<Received> received = await TakeAsync();
        var problems = new List<string>();
        foreach (Received r in received)
        {
            foreach (string secret in secrets)
            {
                if (r.Url.Contains(secret, StringComparison.Ordinal))
                {
                    problems.Add($"{r.Name}: its URL carries {whose} '{secret}'");
                }
                if (r.Headers.Contains(secret, StringComparison.Ordinal))
                {
                    problems.Add($"{r.Name}: its headers carry {whose} '{secret}'");
                }
                if (r.Body?.Contains(secret, StringComparison.Ordinal) == true)
                {
                    int at = r.Body.IndexOf(secret, StringComparison.Ordinal);
                    problems.Add($"{r.Name}: its body carries {whose} '{secret}': …{r.Body[Math.Max(0, at - 60)..Math.Min(r.Body.Length, at + secret.Length + 60)]}…");
                }
            }
            if (r.Unreadable is not null && new Uri(r.Url).AbsolutePath.StartsWith("/api/", StringComparison.Ordinal))
            {
                problems.Add($"{r.Name}: its body could not be read to check it ({r.Unreadable})");
            }
        }
        Assert.True(problems.Count == 0, $"{problems.Count} findings of {whose} in what the page received:\n" + string.Join("\n", problems.Take(40)));
        return received;
    }

    private static async Task<Received> ReadAsync(IResponse response)
    {
        string method = response.Request.Method;
        string headers = string.Join("\n", response.Headers.Select(h => $"{h.Key}: {h.Value}"));
        try
        {
            headers = string.Join("\n", (await response.HeadersArrayAsync()).Select(h => $"{h.Name}: {h.Value}"));
            if (response.Status is >= 300 and < 400)
            {
                return new Received(method, response.Url, response.Status, headers, null, null); // a redirect has no body: its Location is a header
            }
            return new Received(method, response.Url, response.Status, headers, Encoding.Latin1.GetString(await response.BodyAsync()), null);
        }
        catch (PlaywrightException e)
        {
            return new Received(method, response.Url, response.Status, headers, null, e.Message);
        }
    }
}
