using Cctv.Testing.Gcs;

namespace Cctv.Gcs.Tests.TestServer;

/// <summary>A test class with its own test GCS server on loopback and a raw HTTP client for it, both gone after each test.</summary>
public abstract class ServerTests : IAsyncLifetime, IDisposable
{
    protected GcsTestServer Server { get; private set; } = null!;

    protected GcsHttp Gcs { get; private set; } = null!;

    /// <summary>The server each test gets (its buckets, faults, limits).</summary>
    protected abstract GcsTestServerOptions Options { get; }

    public async Task InitializeAsync()
    {
        Server = await GcsTestServer.StartAsync(Options);
        Gcs = new GcsHttp(Server);
    }

    public async Task DisposeAsync() => await Server.DisposeAsync();

    public void Dispose()
    {
        Gcs.Dispose();
        GC.SuppressFinalize(this);
    }
}
