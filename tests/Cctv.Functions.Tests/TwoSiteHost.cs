using System.Net.Http.Headers;
using System.Text.Json;
using Cctv.Functions.Auth;
using Cctv.Shared.Local;
using Cctv.TestSupport.Sites;

namespace Cctv.Functions.Tests;

/// <summary>
/// The embedded functions host over the two-site catalog (<see cref="TwoSites"/>, archived bytes in the archive
/// bucket), with an API key for each of the fixture's principals (<see cref="TwoSites.KeyNames"/>).
/// </summary>
public sealed class TwoSiteHost : IAsyncDisposable
{
    private TwoSiteHost(LocalFunctionsHost host, TwoSites sites, IReadOnlyDictionary<string, string> keys)
    {
        Host = host;
        Sites = sites;
        Keys = keys;
        Client = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false }) { BaseAddress = host.BaseUri };
    }

    public LocalFunctionsHost Host { get; }

    public TwoSites Sites { get; }

    /// <summary>The API key of each principal of the fixture, by key name.</summary>
    public IReadOnlyDictionary<string, string> Keys { get; }

    /// <summary>A client without credentials that shows redirects instead of following them.</summary>
    public HttpClient Client { get; }

    public static async Task<TwoSiteHost> StartAsync(int perCamera = 5)
    {
        LocalFunctionsHost host = await LocalFunctionsHost.StartAsync();
        SqliteCatalog catalog = host.Backend.Catalog;
        TwoSites sites = await TwoSites.SeedAsync(catalog, host.Clock.GetUtcNow().AddMinutes(-30), perCamera, host.Backend.Store, LocalBackend.ArchiveBucket);
        var keys = new Dictionary<string, string>();
        foreach (string name in TwoSites.KeyNames)
        {
            keys[name] = (await ApiKeys.CreateAsync(catalog, name, TimeProvider.System, CancellationToken.None)).Key;
        }
        return new TwoSiteHost(host, sites, keys);
    }

    /// <summary>GET as the principal of API key <paramref name="keyName"/>.</summary>
    public async Task<HttpResponseMessage> GetAsync(string path, string keyName)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Keys[keyName]);
        return await Client.SendAsync(request);
    }

    /// <summary>GET as <paramref name="keyName"/>: the status and the body.</summary>
    public async Task<(int Status, string Body)> GetTextAsync(string path, string keyName)
    {
        using HttpResponseMessage response = await GetAsync(path, keyName);
        return ((int)response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    /// <summary>GET as <paramref name="keyName"/>, expecting 200 and JSON.</summary>
    public async Task<JsonElement> GetJsonAsync(string path, string keyName)
    {
        (int status, string body) = await GetTextAsync(path, keyName);
        Assert.True(status == 200, $"GET {path} as {keyName}: {status} {body}");
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    /// <summary>A range query covering every recording and gap of the fixture.</summary>
    public string Range => $"from={Uri.EscapeDataString(Cctv.Functions.Api.RecordingItem.Iso(Sites.Start.AddMinutes(-5)))}&to={Uri.EscapeDataString(Cctv.Functions.Api.RecordingItem.Iso(Sites.Start.AddMinutes(10)))}";

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await Host.DisposeAsync();
    }
}
