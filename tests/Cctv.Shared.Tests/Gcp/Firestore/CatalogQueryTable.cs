using System.Text.Json;
using Cctv.Shared.Gcp.Firestore;

namespace Cctv.Shared.Tests.Gcp.Firestore;

/// <summary>
/// shared/Gcp/Firestore/catalog-queries.json: the query shapes the Firestore catalog may issue (each one served by an
/// index terraform/firestore.tf declares; tests/Cctv.Deploy.Tests checks that side) and the fields of its growing
/// collections that grow with time (exempt from single-field indexes there).
/// </summary>
internal static class CatalogQueryTable
{
    public const string FileName = "catalog-queries.json";

    private static readonly Lazy<(IReadOnlyDictionary<string, IReadOnlyList<string>> Growing, IReadOnlyList<string> Shapes)> Table = new(Load);

    public static IReadOnlyDictionary<string, IReadOnlyList<string>> GrowingFields => Table.Value.Growing;

    /// <summary>Every listed shape, as <see cref="ShapeOf(FirestoreQuery)"/> writes it.</summary>
    public static IReadOnlyList<string> Shapes => Table.Value.Shapes;

    /// <summary>
    /// A query's shape: its collection, the fields under EQUAL or IN (sorted: any order serves), then its order fields
    /// with direction (<c>__name__</c> left out), then the range fields it does not order by (Firestore orders by them first).
    /// </summary>
    public static string ShapeOf(FirestoreQuery query)
    {
        var equality = query.Filters.Where(f => f.Op is FirestoreOperator.Equal or FirestoreOperator.In).Select(f => f.Field).Distinct().Order(StringComparer.Ordinal);
        var order = query.Order.Where(o => o.Field != FirestoreQuery.DocumentNameField).Select(o => (o.Field, Direction: o.Descending ? "DESCENDING" : "ASCENDING")).ToList();
        foreach (string range in query.Filters.Where(f => f.Op is not (FirestoreOperator.Equal or FirestoreOperator.In)).Select(f => f.Field).Distinct())
        {
            if (!order.Any(o => o.Field == range))
            {
                order.Add((range, "ASCENDING"));
            }
        }
        return Shape(query.CollectionId, equality, order);
    }

    private static string Shape(string collection, IEnumerable<string> equality, IEnumerable<(string Field, string Direction)> order) =>
        $"{collection} [{string.Join(", ", equality)}] by [{string.Join(", ", order.Select(o => $"{o.Field} {o.Direction}"))}]";

    private static (IReadOnlyDictionary<string, IReadOnlyList<string>>, IReadOnlyList<string>) Load()
    {
        string path = Path.Combine(AppContext.BaseDirectory, FileName);
        Assert.True(File.Exists(path), $"{path} is missing: the test project copies shared/Gcp/Firestore/{FileName} to its output");
        using JsonDocument json = JsonDocument.Parse(File.ReadAllText(path));
        var growing = json.RootElement.GetProperty("growing_fields").EnumerateObject()
            .ToDictionary(p => p.Name, p => (IReadOnlyList<string>)[.. p.Value.EnumerateArray().Select(f => f.GetString()!)], StringComparer.Ordinal);
        var shapes = json.RootElement.GetProperty("queries").EnumerateArray().Select(q => Shape(
            q.GetProperty("collection").GetString()!,
            q.GetProperty("equality").EnumerateArray().Select(f => f.GetString()!).Order(StringComparer.Ordinal),
            q.GetProperty("order").EnumerateArray().Select(o => (o.GetProperty("field").GetString()!, o.GetProperty("direction").GetString()!)))).ToList();
        return (growing, shapes);
    }
}
