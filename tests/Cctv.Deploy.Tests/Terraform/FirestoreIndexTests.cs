using System.Text.Json;
using Cctv.Deploy.Tests.Support;

namespace Cctv.Deploy.Tests.Terraform;

/// <summary>
/// The catalog has no hot spot: Firestore holds a collection to about 500 writes a second while an indexed field grows
/// monotonically, so terraform/firestore.tf exempts every growing field of the catalog's growing collections from the
/// automatic single-field indexes, starts every composite index with the recorder or a shard, and declares an index
/// for every query the catalog issues. Both lists come from shared/Gcp/Firestore/catalog-queries.json, which the
/// catalog's emulator tests hold to what the code writes and queries.
/// </summary>
public sealed class FirestoreIndexTests
{
    private const string QueriesFile = "shared/Gcp/Firestore/catalog-queries.json";

    /// <summary>Fields whose values spread writes over many index ranges: the recorder (thousands) and the shard (16).</summary>
    private static readonly string[] HighCardinalityKeys = ["recorder_id", "shard"];

    private static TerraformConfig Config => TerraformConfig.Instance;

    [Fact]
    public void EveryGrowingFieldOfTheCatalog_IsExemptFromSingleFieldIndexes()
    {
        var exempt = ExemptFields();

        foreach ((string collection, IReadOnlyList<string> fields) in Catalog.GrowingFields)
        {
            foreach (string field in fields)
            {
                Assert.True(exempt.Contains((collection, field)),
                    $"{collection}.{field} grows with time ({QueriesFile}) but terraform has no google_firestore_field exemption for it: its automatic single-field index would hold the whole collection to about 500 writes per second");
            }
        }
    }

    [Fact]
    public void TheExemptions_TurnOffEverySingleFieldIndexOfTheirField()
    {
        var resources = Config.Resources("google_firestore_field").ToList();

        Assert.NotEmpty(resources);
        foreach (var field in resources)
        {
            var config = field.Children("index_config").ToList();
            Assert.True(config.Count == 1 && !config[0].Entries().Any(),
                $"{field.Where} must have one empty index_config block (no indexes at all), not {config.Count} blocks with {string.Join(", ", config.SelectMany(c => c.Entries()).Select(e => e.Name))}");
            Assert.Equal("google_firestore_database.catalog.name", field.Attribute("database")?.Expression);
        }
    }

    [Fact]
    public void EveryCompositeIndex_StartsWithTheRecorderOrAShard()
    {
        var indexes = CompositeIndexes();

        Assert.NotEmpty(indexes);
        foreach (var index in indexes)
        {
            Assert.True(HighCardinalityKeys.Contains(index.Fields[0].Path),
                $"composite index {index.Name} on {index.Collection} starts with {index.Fields[0].Path}, not with one of {string.Join(", ", HighCardinalityKeys)}: its first field decides how its writes spread, and a time field or a field of a few values puts them all at one end");
            var growing = Catalog.GrowingFields.GetValueOrDefault(index.Collection) ?? [];
            Assert.True(index.Fields.Count >= 2 && !growing.Contains(index.Fields[0].Path),
                $"composite index {index.Name} leads with a growing field");
        }
    }

    [Fact]
    public void EveryQueryOfTheCatalog_IsServedByADeclaredIndex()
    {
        var exempt = ExemptFields();
        var indexes = CompositeIndexes();

        Assert.NotEmpty(Catalog.Queries);
        foreach (var query in Catalog.Queries)
        {
            Assert.True(Serves(query, exempt, indexes),
                $"no index serves the catalog's query \"{query.UsedBy}\" on {query.Collection} (equality on [{string.Join(", ", query.Equality)}], ordered by [{string.Join(", ", query.Order.Select(o => $"{o.Field} {o.Direction}"))}]): declare a composite index led by the recorder or shard in terraform/firestore.tf, or reshape the query");
        }
    }

    [Fact]
    public void TheCatalogQueryTable_LeavesNoTimeOrderAcrossCameras()
    {
        // The table itself: no query of a growing collection is ordered by a growing field without a high-cardinality key before it.
        foreach (var query in Catalog.Queries.Where(q => q.Order.Count > 0))
        {
            var growing = Catalog.GrowingFields.GetValueOrDefault(query.Collection) ?? [];
            if (growing.Contains(query.Order[0].Field))
            {
                Assert.True(query.Equality.Any(HighCardinalityKeys.Contains),
                    $"\"{query.UsedBy}\" orders {query.Collection} by {query.Order[0].Field} across every camera");
            }
        }
    }

    /// <summary>
    /// Firestore's rule, as far as this catalog needs it: equality alone is served by single-field indexes (merged) when
    /// none is exempt; one order field alone by its single-field index unless exempt; anything else by a composite index
    /// holding the equality fields (any order) and then the order fields in their directions.
    /// </summary>
    private static bool Serves(QueryShape query, HashSet<(string, string)> exempt, IReadOnlyList<CompositeIndex> indexes)
    {
        if (query.Order.Count == 0 && query.Equality.All(f => !exempt.Contains((query.Collection, f))))
        {
            return true;
        }
        if (query.Equality.Count == 0 && query.Order.Count == 1 && !exempt.Contains((query.Collection, query.Order[0].Field)))
        {
            return true;
        }
        return indexes.Any(index =>
            index.Collection == query.Collection
            && index.Fields.Count == query.Equality.Count + query.Order.Count
            && index.Fields.Take(query.Equality.Count).Select(f => f.Path).ToHashSet().SetEquals(query.Equality)
            && index.Fields.Skip(query.Equality.Count).Zip(query.Order).All(p => p.First.Path == p.Second.Field && p.First.Order == p.Second.Direction));
    }

    /// <summary>(collection, field) of every google_firestore_field exemption, from the local its for_each builds on.</summary>
    private static HashSet<(string Collection, string Field)> ExemptFields()
    {
        var resource = Config.Resource("google_firestore_field", "exempt");
        Assert.True(resource is not null, "terraform declares no google_firestore_field.exempt: every growing field keeps its automatic single-field index");
        Assert.Equal("local.firestore_exemptions", resource.Attribute("for_each")?.Expression);
        Assert.Equal("each.value.collection", resource.Attribute("collection")?.Expression);
        Assert.Equal("each.value.field", resource.Attribute("field")?.Expression);
        Assert.Contains("local.firestore_growing_fields", Config.Locals["firestore_exemptions"].References);

        var exempt = new HashSet<(string, string)>();
        foreach ((string collection, HclValue fields) in Config.Locals["firestore_growing_fields"].Entries)
        {
            foreach (var field in fields.Items)
            {
                exempt.Add((collection, field.Literal ?? throw new FormatException($"{field.Where} is not a literal field name")));
            }
        }
        return exempt;
    }

    /// <summary>Every composite index: the one for_each resource over local.firestore_indexes, and no other.</summary>
    private static List<CompositeIndex> CompositeIndexes()
    {
        var resources = Config.Resources("google_firestore_index").ToList();
        Assert.True(resources.Count == 1 && resources[0].Attribute("for_each")?.Expression == "local.firestore_indexes",
            "every composite index is declared in local.firestore_indexes (google_firestore_index.catalog), so these tests see them all");
        Assert.Equal("COLLECTION", resources[0].Attribute("query_scope")?.Literal);

        return [.. Config.Locals["firestore_indexes"].Entries.Select(index => new CompositeIndex(
            index.Key,
            index.Value.Entries["collection"].Literal!,
            [.. index.Value.Entries["fields"].Items.Select(f => (f.Entries["path"].Literal!, f.Entries["order"].Literal!))]))];
    }

    private sealed record CompositeIndex(string Name, string Collection, IReadOnlyList<(string Path, string Order)> Fields);

    private sealed record QueryShape(string UsedBy, string Collection, IReadOnlyList<string> Equality, IReadOnlyList<(string Field, string Direction)> Order);

    /// <summary>shared/Gcp/Firestore/catalog-queries.json.</summary>
    private static class Catalog
    {
        private static readonly Lazy<(IReadOnlyDictionary<string, IReadOnlyList<string>> Growing, IReadOnlyList<QueryShape> Queries)> Table = new(Load);

        public static IReadOnlyDictionary<string, IReadOnlyList<string>> GrowingFields => Table.Value.Growing;

        public static IReadOnlyList<QueryShape> Queries => Table.Value.Queries;

        private static (IReadOnlyDictionary<string, IReadOnlyList<string>>, IReadOnlyList<QueryShape>) Load()
        {
            using var json = JsonDocument.Parse(Repo.Read(QueriesFile));
            var growing = json.RootElement.GetProperty("growing_fields").EnumerateObject()
                .ToDictionary(p => p.Name, p => (IReadOnlyList<string>)[.. p.Value.EnumerateArray().Select(f => f.GetString()!)], StringComparer.Ordinal);
            var queries = json.RootElement.GetProperty("queries").EnumerateArray().Select(q => new QueryShape(
                q.GetProperty("used_by").GetString()!,
                q.GetProperty("collection").GetString()!,
                [.. q.GetProperty("equality").EnumerateArray().Select(f => f.GetString()!)],
                [.. q.GetProperty("order").EnumerateArray().Select(o => (o.GetProperty("field").GetString()!, o.GetProperty("direction").GetString()!))])).ToList();
            Assert.NotEmpty(growing);
            return (growing, queries);
        }
    }
}
