using Cctv.Shared.Local;
using Cctv.Shared.Ports;
using Cctv.TestSupport;

namespace Cctv.Shared.Tests.Local;

/// <summary>The catalog contract (<see cref="CatalogContractTests"/>) on the embedded backend's SQLite file.</summary>
public sealed class SqliteCatalogTests : CatalogContractTests, IDisposable
{
    private readonly TempDir _dir = new("catalog");
    private readonly SqliteCatalog _catalog;

    public SqliteCatalogTests() => _catalog = new SqliteCatalog(_dir.Combine("catalog.db"), Clock);

    protected override ICatalog Catalog => _catalog;

    public void Dispose() => _dir.Dispose();
}
