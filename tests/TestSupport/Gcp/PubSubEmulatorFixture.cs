using Cctv.Shared.Gcp;

namespace Cctv.TestSupport.Gcp;

/// <summary>
/// The Pub/Sub emulator, started for real for a test class (IClassFixture) or a collection of them, and stopped after it;
/// each test uses topics and subscriptions of its own.
/// </summary>
public sealed class PubSubEmulatorFixture : IAsyncLifetime
{
    public const string ProjectId = "cctv-pubsub-test";

    private GcloudEmulator? _emulator;
    private GcpEndpoint? _endpoint;

    public string HostPort => _emulator?.HostPort ?? throw new InvalidOperationException("The Pub/Sub emulator did not start.");

    /// <summary>The emulator's REST endpoint, for the test's own topics, subscriptions and pulls.</summary>
    public GcpEndpoint Endpoint => _endpoint ?? throw new InvalidOperationException("The Pub/Sub emulator did not start.");

    public async Task InitializeAsync()
    {
        _emulator = await GcloudEmulator.StartPubSubAsync(ProjectId);
        _endpoint = GcloudEmulator.Endpoint(GcpService.PubSub, _emulator.HostPort);
    }

    public async Task DisposeAsync()
    {
        _endpoint?.Dispose();
        if (_emulator is not null)
        {
            await _emulator.DisposeAsync();
        }
    }
}
