using Cctv.TestSupport.Gcp;

namespace Cctv.Cloud.Tests;

/// <summary>
/// The Firestore and Pub/Sub emulators (started together, once for the collection) and the stand-in OIDC issuer.
/// Without gcloud and Java the tests fail and say what to install; they are never skipped.
/// </summary>
public sealed class EmulatorsFixture : IAsyncLifetime
{
    public const string PubSubProject = "cctv-cloud-test";

    private GcloudEmulator? _firestore;
    private GcloudEmulator? _pubsub;

    public string FirestoreHostPort => _firestore?.HostPort ?? throw new InvalidOperationException("The Firestore emulator did not start.");

    public string PubSubHostPort => _pubsub?.HostPort ?? throw new InvalidOperationException("The Pub/Sub emulator did not start.");

    public TestTokenIssuer Issuer { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Task<GcloudEmulator> firestore = GcloudEmulator.StartFirestoreAsync();
        Task<GcloudEmulator> pubsub = GcloudEmulator.StartPubSubAsync(PubSubProject);
        Task<TestTokenIssuer> issuer = TestTokenIssuer.StartAsync();
        try
        {
            await Task.WhenAll(firestore, pubsub, issuer);
        }
        finally
        {
            _firestore = firestore.IsCompletedSuccessfully ? firestore.Result : null;
            _pubsub = pubsub.IsCompletedSuccessfully ? pubsub.Result : null;
            Issuer = issuer.IsCompletedSuccessfully ? issuer.Result : null!;
        }
    }

    public async Task DisposeAsync()
    {
        if (_firestore is not null)
        {
            await _firestore.DisposeAsync();
        }
        if (_pubsub is not null)
        {
            await _pubsub.DisposeAsync();
        }
        if (Issuer is not null)
        {
            await Issuer.DisposeAsync();
        }
    }
}

[CollectionDefinition(Name)]
public sealed class EmulatorsCollection : ICollectionFixture<EmulatorsFixture>
{
    public const string Name = "gcloud emulators";
}
