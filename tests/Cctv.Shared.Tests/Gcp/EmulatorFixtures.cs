using Cctv.Shared.Gcp;
using Cctv.TestSupport.Gcp;

namespace Cctv.Shared.Tests.Gcp;

/// <summary>One Firestore emulator for every test of the collection; each test class uses its own project ID.</summary>
public sealed class FirestoreEmulatorFixture : IAsyncLifetime
{
    private GcloudEmulator? _emulator;
    private GcpEndpoint? _endpoint;

    public GcloudEmulator Emulator => _emulator ?? throw new InvalidOperationException("The Firestore emulator did not start.");

    public GcpEndpoint Endpoint => _endpoint ?? throw new InvalidOperationException("The Firestore emulator did not start.");

    public async Task InitializeAsync()
    {
        _emulator = await GcloudEmulator.StartFirestoreAsync();
        _endpoint = GcloudEmulator.Endpoint(GcpService.Firestore, _emulator.HostPort);
    }

    /// <summary>Removes every document of a project (the emulator's own endpoint).</summary>
    public async Task ClearAsync(string projectId)
    {
        using System.Text.Json.JsonDocument? _ = await Endpoint.SendAsync(
            HttpMethod.Delete, $"emulator/v1/projects/{projectId}/databases/(default)/documents", null, CancellationToken.None);
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

[CollectionDefinition(Name)]
public sealed class FirestoreEmulatorCollection : ICollectionFixture<FirestoreEmulatorFixture>
{
    public const string Name = "Firestore emulator";
}

/// <summary>One Pub/Sub emulator (<see cref="PubSubEmulatorFixture"/>) for every test of the collection; each test uses its own topic and subscription names.</summary>
[CollectionDefinition(Name)]
public sealed class PubSubEmulatorCollection : ICollectionFixture<PubSubEmulatorFixture>
{
    public const string Name = "Pub/Sub emulator";
}
