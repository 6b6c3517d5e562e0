using System.Text.Json.Nodes;

namespace Cctv.Shared.Gcp.Firestore;

/// <summary>The field filter operators of a structured query.</summary>
public enum FirestoreOperator
{
    Equal,
    NotEqual,
    LessThan,
    LessThanOrEqual,
    GreaterThan,
    GreaterThanOrEqual,
    In,
    NotIn,
    ArrayContains,
    ArrayContainsAny,
}

/// <summary>
/// A structured query over one collection: AND-ed field filters, an order, a cursor and a limit
/// (the parts of Firestore's <c>StructuredQuery</c> this code uses). Immutable: each method returns a new query.
/// </summary>
public sealed record FirestoreQuery
{
    /// <summary>The field path that orders by document name.</summary>
    public const string DocumentNameField = "__name__";

    public FirestoreQuery(string collectionId) => CollectionId = collectionId;

    public string CollectionId { get; }

    public IReadOnlyList<(string Field, FirestoreOperator Op, object? Value)> Filters { get; private init; } = [];

    public IReadOnlyList<(string Field, bool Descending)> Order { get; private init; } = [];

    /// <summary>Values of the order fields to start after (a reference for <see cref="DocumentNameField"/>).</summary>
    public IReadOnlyList<object?>? StartAfterValues { get; private init; }

    public int? LimitValue { get; private init; }

    public FirestoreQuery Where(string field, FirestoreOperator op, object? value) => this with { Filters = [.. Filters, (field, op, value)] };

    public FirestoreQuery OrderBy(string field, bool descending = false) => this with { Order = [.. Order, (field, descending)] };

    public FirestoreQuery StartAfter(params object?[] values) => this with { StartAfterValues = values };

    public FirestoreQuery Limit(int limit) =>
        limit < 0 ? throw new ArgumentOutOfRangeException(nameof(limit), limit, "A limit is zero or more.") : this with { LimitValue = limit };

    internal JsonObject ToJson()
    {
        var query = new JsonObject { ["from"] = new JsonArray(new JsonObject { ["collectionId"] = CollectionId }) };
        var filters = Filters.Select(f => (JsonNode)new JsonObject
        {
            ["fieldFilter"] = new JsonObject
            {
                ["field"] = new JsonObject { ["fieldPath"] = FirestoreWrite.FieldPath(f.Field) },
                ["op"] = OperatorName(f.Op),
                ["value"] = FirestoreValues.Encode(f.Value),
            },
        }).ToList();
        if (filters.Count == 1)
        {
            query["where"] = filters[0];
        }
        else if (filters.Count > 1)
        {
            query["where"] = new JsonObject { ["compositeFilter"] = new JsonObject { ["op"] = "AND", ["filters"] = new JsonArray([.. filters]) } };
        }
        if (Order.Count > 0)
        {
            query["orderBy"] = new JsonArray([.. Order.Select(o => (JsonNode)new JsonObject
            {
                ["field"] = new JsonObject { ["fieldPath"] = FirestoreWrite.FieldPath(o.Field) },
                ["direction"] = o.Descending ? "DESCENDING" : "ASCENDING",
            })]);
        }
        if (StartAfterValues is { } values)
        {
            query["startAt"] = new JsonObject { ["values"] = new JsonArray([.. values.Select(v => (JsonNode)FirestoreValues.Encode(v))]), ["before"] = false };
        }
        if (LimitValue is { } limit)
        {
            query["limit"] = limit;
        }
        return query;
    }

    private static string OperatorName(FirestoreOperator op) => op switch
    {
        FirestoreOperator.Equal => "EQUAL",
        FirestoreOperator.NotEqual => "NOT_EQUAL",
        FirestoreOperator.LessThan => "LESS_THAN",
        FirestoreOperator.LessThanOrEqual => "LESS_THAN_OR_EQUAL",
        FirestoreOperator.GreaterThan => "GREATER_THAN",
        FirestoreOperator.GreaterThanOrEqual => "GREATER_THAN_OR_EQUAL",
        FirestoreOperator.In => "IN",
        FirestoreOperator.NotIn => "NOT_IN",
        FirestoreOperator.ArrayContains => "ARRAY_CONTAINS",
        FirestoreOperator.ArrayContainsAny => "ARRAY_CONTAINS_ANY",
        _ => throw new ArgumentOutOfRangeException(nameof(op), op, null),
    };
}
