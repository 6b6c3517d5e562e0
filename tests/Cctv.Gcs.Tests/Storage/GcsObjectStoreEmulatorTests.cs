using System.Security.Cryptography;
using Cctv.Shared.Gcp.Storage;
using Cctv.Shared.Hashing;
using Cctv.Shared.Ports;
using Cctv.Testing.Gcs;

namespace Cctv.Gcs.Tests.Storage;

/// <summary>Tests that set the process's STORAGE_EMULATOR_HOST: run alone, after every other test of the assembly.</summary>
[CollectionDefinition(nameof(StorageEmulatorEnvironment), DisableParallelization = true)]
public sealed class StorageEmulatorEnvironment;

/// <summary><c>STORAGE_EMULATOR_HOST</c> as Google's clients read it: it wins over the endpoint, and no credentials are needed.</summary>
[Collection(nameof(StorageEmulatorEnvironment))]
public sealed class GcsObjectStoreEmulatorTests
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task StorageEmulatorHost_TakesEveryOperationToTheEmulator_WithoutCredentials(bool withScheme)
    {
        await using GcsTestServer emulator = await GcsTestServer.StartAsync(new GcsTestServerOptions { Buckets = ["staging"] });
        string host = withScheme ? emulator.Endpoint.ToString() : emulator.Endpoint.Authority;
        Environment.SetEnvironmentVariable(GcsSettings.EmulatorHostVariable, host);
        try
        {
            // The production endpoint and application default credentials: neither is used, neither is needed.
            using GcsObjectStore store = await GcsObjectStore.CreateAsync(new GcsSettings { ChunkSize = 256 * 1024, SingleRequestMaxBytes = 1000 }, CancellationToken.None);
            Assert.Equal(emulator.Endpoint, store.Endpoint);

            byte[] large = RandomNumberGenerator.GetBytes(600_000);
            byte[] small = RandomNumberGenerator.GetBytes(900);
            StoredObject a = await store.UploadAsync(Request("site-a/cam1/a.mp4", large), new MemoryStream(large), CancellationToken.None);
            StoredObject b = await store.UploadAsync(Request("site-b/cam1/a.mp4", small), new MemoryStream(small), CancellationToken.None);

            Assert.Equal(large, emulator.Find("staging", a.Name)!.Bytes.ToArray());
            Assert.Equal(small, emulator.Find("staging", b.Name)!.Bytes.ToArray());
            Assert.Equal(a.Generation, (await store.GetAsync("staging", a.Name, CancellationToken.None))!.Generation);
            Assert.Equal(2, await store.ListAsync("staging", "site-", CancellationToken.None).CountAsync());
            await using (Stream read = await store.OpenReadAsync("staging", b.Name, CancellationToken.None))
            {
                var copy = new MemoryStream();
                await read.CopyToAsync(copy);
                Assert.Equal(small, copy.ToArray());
            }
            Assert.True((await store.ProbeBucketAsync("staging", CancellationToken.None)).Exists);
            Assert.True(await store.DeleteAsync("staging", b.Name, b.Generation, CancellationToken.None));
        }
        finally
        {
            Environment.SetEnvironmentVariable(GcsSettings.EmulatorHostVariable, null);
        }
    }

    private static UploadRequest Request(string name, byte[] bytes) =>
        new("staging", name, "video/mp4", Crc32C.ToBase64(Crc32C.Compute(bytes)), null, 0, new Dictionary<string, string>());
}
