using System.Net.Sockets;
using System.Text;
using Cctv.Functions.Api;
using Cctv.Functions.Hosting;
using Cctv.Shared.Domain;

namespace Cctv.Functions.Tests.Api;

/// <summary>
/// Links name the configured public base URL, or the request's Host where it is an allowed host; a missing, empty,
/// malformed or foreign Host is a 400 with the reason, never a 5xx. Sent over raw sockets: HttpClient would fix the Host.
/// </summary>
public sealed class HostHeaderTests
{
    private const string BaseUrl = "https://cctv.example.com";

    private static async Task<(int Status, string Response)> RawAsync(Uri server, string request)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(server.Host, server.Port);
        await using NetworkStream stream = tcp.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(request));
        using var reader = new StreamReader(stream, Encoding.UTF8);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        string response = await reader.ReadToEndAsync(timeout.Token);
        string[] statusLine = response.Split("\r\n", 2)[0].Split(' ');
        return (int.Parse(statusLine[1], System.Globalization.CultureInfo.InvariantCulture), response);
    }

    private static string Get(string path, string? hostLine, string version = "HTTP/1.1") =>
        $"GET {path} {version}\r\n{(hostLine is null ? "" : hostLine + "\r\n")}Authorization: Bearer {LocalFunctionsHost.Token}\r\nConnection: close\r\n\r\n";

    /// <summary>The routes that build links, for an archived recording.</summary>
    private static async Task<string[]> LinkRoutesAsync(LocalFunctionsHost host)
    {
        RecordingAnnouncement a = await host.RecordAsync("cam1", 0, "linked"u8.ToArray());
        await host.WaitForStateAsync(a.Id, CloudState.Archived);
        PlaybackLinks links = await PlaybackLinks.FromCatalogAsync(host.Backend.Catalog, CancellationToken.None);
        return
        [
            $"/api/recordings/{a.Id}/get_url/",
            $"/api/recordings/get_urls/?ids={a.Id}",
            $"/api/recordings/{a.Id}/download/",
            $"/api/recordings/{a.Id}/stream/",
            links.For(a.Id, host.Clock.GetUtcNow().AddHours(1)),
        ];
    }

    [Theory]
    [InlineData("Host: ", "HTTP/1.1")]
    [InlineData(null, "HTTP/1.0")]
    [InlineData("Host: cctv.example.com:99999", "HTTP/1.1")]
    [InlineData("Host: 127.0.0.1:0", "HTTP/1.1")]
    [InlineData("Host: evil.example", "HTTP/1.1")]
    [InlineData("Host: cctv.example.com.evil.example", "HTTP/1.1")]
    [InlineData("Host: evil.example", "HTTP/1.0")]
    public async Task AMissingMalformedOrForeignHost_Is400_OnEveryRouteThatBuildsLinks(string? hostLine, string version)
    {
        await using LocalFunctionsHost host = await LocalFunctionsHost.StartAsync(s => s with { PublicBaseUrl = new Uri(BaseUrl) });

        foreach (string path in await LinkRoutesAsync(host))
        {
            (int status, string response) = await RawAsync(host.BaseUri, Get(path, hostLine, version));

            Assert.True(status == 400, $"{version} {hostLine ?? "(no Host)"} {path}: {response}");
            Assert.DoesNotContain("/storage/", response);
            Assert.DoesNotContain("evil.example/", response);
        }
    }

    [Theory]
    [InlineData("Host: cctv.example.com")]
    [InlineData("Host: CCTV.example.com:443")]
    [InlineData("Host: 127.0.0.1")]
    [InlineData("Host: localhost:1234")]
    public async Task WithABaseUrl_LinksNameIt_WhateverAllowedHostTheRequestNamed(string hostLine)
    {
        await using LocalFunctionsHost host = await LocalFunctionsHost.StartAsync(s => s with { PublicBaseUrl = new Uri(BaseUrl) });

        foreach (string path in await LinkRoutesAsync(host))
        {
            (int status, string response) = await RawAsync(host.BaseUri, Get(path, hostLine));

            Assert.True(status is 200 or 302, $"{hostLine} {path}: {response}");
            Assert.Contains(BaseUrl + "/storage/", response);
        }
    }

    [Fact]
    public async Task WithoutABaseUrl_LinksNameTheRequestsHost_OnlyWhenItIsAllowed()
    {
        await using LocalFunctionsHost host = await LocalFunctionsHost.StartAsync(s => s with { AllowedHosts = ["nvr.lan:8080"] });
        string path = (await LinkRoutesAsync(host))[0];

        (int loopback, string loopbackResponse) = await RawAsync(host.BaseUri, Get(path, "Host: localhost:5000"));
        (int lan, string lanResponse) = await RawAsync(host.BaseUri, Get(path, "Host: nvr.lan:8080"));
        (int otherPort, _) = await RawAsync(host.BaseUri, Get(path, "Host: nvr.lan:9999"));
        (int foreign, string foreignResponse) = await RawAsync(host.BaseUri, Get(path, "Host: evil.example"));

        Assert.Equal(200, loopback);
        Assert.Contains("http://localhost:5000/storage/", loopbackResponse);
        Assert.Equal(200, lan);
        Assert.Contains("http://nvr.lan:8080/storage/", lanResponse);
        Assert.Equal(400, otherPort);
        Assert.Equal(400, foreign);
        Assert.Contains("does not answer to the host 'evil.example'", foreignResponse);
    }

    [Theory]
    [InlineData("cctv.example.com")]
    [InlineData("https://cctv.example.com/cctv")]
    [InlineData("ftp://cctv.example.com")]
    [InlineData("https://user@cctv.example.com")]
    public void ABaseUrlThatIsNotAnOrigin_IsRefusedAtStart_NamingTheSetting(string value)
    {
        ArgumentException e = Assert.Throws<ArgumentException>(() => PublicOrigin.ParseBaseUrl(value, HostEnvironment.PublicBaseUrl));
        Assert.StartsWith(HostEnvironment.PublicBaseUrl, e.Message);
        Assert.Throws<ArgumentException>(() => FunctionsHost.Build(new FunctionsHostSettings(Path.GetTempPath(), "token", PublicBaseUrl: new Uri(value, UriKind.RelativeOrAbsolute))));
    }

    [Fact]
    public void AnAllowedHostThatIsNotAHost_IsRefusedAtStart_NamingTheSetting()
    {
        ArgumentException e = Assert.Throws<ArgumentException>(() => PublicOrigin.ParseHosts("nvr.lan, http://x/", HostEnvironment.AllowedHosts));
        Assert.StartsWith(HostEnvironment.AllowedHosts, e.Message);
    }
}
