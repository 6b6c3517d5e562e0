using Cctv.Shared.Ports;

namespace Cctv.Shared.Local;

/// <summary>
/// Where the embedded backend keeps things inside a data directory, shared by the edge agent and the
/// local functions host so that both can be pointed at the same <c>--data-dir</c>.
/// </summary>
public sealed class LocalBackend
{
    public const string StagingBucket = "cctv-staging";
    public const string ArchiveBucket = "cctv-archive";

    public LocalBackend(string dataDir, TimeProvider time)
    {
        DataDir = Path.GetFullPath(dataDir);
        Events = new LocalEventSpool(Path.Combine(DataDir, "cloud", "events"), time);
        Store = new LocalObjectStore(Path.Combine(DataDir, "cloud", "buckets"), time, Events, [StagingBucket]);
        Catalog = new SqliteCatalog(Path.Combine(DataDir, "cloud", "catalog.db"), time);
        Signer = HmacUrlSigner.FromKeyFile(Path.Combine(DataDir, "cloud", "secrets", "url-signing.key"), time);
    }

    public string DataDir { get; }

    public LocalEventSpool Events { get; }

    public LocalObjectStore Store { get; }

    public SqliteCatalog Catalog { get; }

    public HmacUrlSigner Signer { get; }

    public IObjectStore ObjectStore => Store;
}
