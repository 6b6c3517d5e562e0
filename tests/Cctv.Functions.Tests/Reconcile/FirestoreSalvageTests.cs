using Cctv.Shared.Gcp;
using Cctv.Shared.Gcp.Firestore;
using Cctv.TestSupport.Gcp;

namespace Cctv.Functions.Tests.Reconcile;

/// <summary>The Firestore emulator, started for real for the class and stopped after it; each test uses a project of its own.</summary>
public sealed class FirestoreEmulator : IAsyncLifetime
{
    private GcloudEmulator? _emulator;
    private GcpEndpoint? _endpoint;

    public GcpEndpoint Endpoint => _endpoint ?? throw new InvalidOperationException("The Firestore emulator did not start.");

    public async Task InitializeAsync()
    {
        _emulator = await GcloudEmulator.StartFirestoreAsync();
        _endpoint = GcloudEmulator.Endpoint(GcpService.Firestore, _emulator.HostPort);
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

/// <summary>The salvage with the catalog on Firestore (its emulator) and the embedded store's append sessions.</summary>
[Trait("Category", "Slow")]
public sealed class FirestoreSalvageTests(FirestoreEmulator firestore)
    : SalvageTests(new SweepRig(catalog: time => new FirestoreCatalog(new FirestoreClient(firestore.Endpoint, "salvage-" + Guid.NewGuid().ToString("N")[..12]), time))),
        IClassFixture<FirestoreEmulator>;
