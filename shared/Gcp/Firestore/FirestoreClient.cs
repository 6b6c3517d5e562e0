using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Cctv.Shared.Gcp.Firestore;

/// <summary>
/// A thin typed client of the Firestore REST API v1 for one database: get, batchGet, commit (with
/// <c>currentDocument</c> preconditions), runQuery and runAggregationQuery (count). Failures are exceptions
/// (<see cref="GcpApiException"/>, <see cref="GcpTransientException"/>); a missing document is null, never an error.
/// Shaped so that Google.Cloud.Firestore.V1's <c>FirestoreClient</c> could replace it in one place.
/// </summary>
public sealed partial class FirestoreClient
{
    public const string DefaultDatabase = "(default)";

    /// <summary>Firestore's own limit on a commit.</summary>
    public const int MaxWritesPerCommit = 500;

    private const int MaxDocumentsPerBatchGet = 300;

    private readonly GcpEndpoint _endpoint;

    public FirestoreClient(GcpEndpoint endpoint, string projectId, string databaseId = DefaultDatabase)
    {
        if (!ProjectPattern().IsMatch(projectId))
        {
            throw new ArgumentException($"'{projectId}' is not a GCP project ID.", nameof(projectId));
        }
        if (databaseId != DefaultDatabase && !DatabasePattern().IsMatch(databaseId))
        {
            throw new ArgumentException($"'{databaseId}' is not a Firestore database ID: (default) or 4-63 of a-z, 0-9 and '-'.", nameof(databaseId));
        }
        _endpoint = endpoint;
        ProjectId = projectId;
        DatabaseId = databaseId;
        DocumentsPath = $"projects/{projectId}/databases/{databaseId}/documents";
    }

    public string ProjectId { get; }

    public string DatabaseId { get; }

    public GcpEndpoint Endpoint => _endpoint;

    /// <summary>
    /// Told every query before it is sent (runQuery and count): how the catalog's tests check that each query it issues
    /// is one a declared index serves (shared/Gcp/Firestore/catalog-queries.json). Null: nobody is told.
    /// </summary>
    public Action<FirestoreQuery>? QueryObserver { get; init; }

    /// <summary><c>projects/{p}/databases/{d}/documents</c>: the parent of every top-level collection.</summary>
    public string DocumentsPath { get; }

    /// <summary>The full name of <c>{collection}/{id}</c>; throws on an ID Firestore would not take.</summary>
    public string DocumentName(string collectionId, string documentId)
    {
        if (string.IsNullOrEmpty(documentId) || documentId.Contains('/', StringComparison.Ordinal) || documentId is "." or ".."
            || (documentId.StartsWith("__", StringComparison.Ordinal) && documentId.EndsWith("__", StringComparison.Ordinal))
            || System.Text.Encoding.UTF8.GetByteCount(documentId) > 1500)
        {
            throw new ArgumentException($"'{documentId}' cannot be a Firestore document ID.", nameof(documentId));
        }
        return $"{DocumentsPath}/{collectionId}/{documentId}";
    }

    /// <summary>
    /// The document, or null when there is none. (Read through batchGet, whose answer tells a missing document
    /// from a missing database or project: those are errors, never "no such document".)
    /// </summary>
    public async Task<FirestoreDocument?> GetAsync(string documentName, CancellationToken cancellationToken) =>
        (await BatchGetAsync([documentName], cancellationToken)).GetValueOrDefault(documentName);

    /// <summary>The documents that exist among <paramref name="documentNames"/>, by name.</summary>
    public async Task<IReadOnlyDictionary<string, FirestoreDocument>> BatchGetAsync(IEnumerable<string> documentNames, CancellationToken cancellationToken)
    {
        var found = new Dictionary<string, FirestoreDocument>(StringComparer.Ordinal);
        foreach (string[] chunk in documentNames.Distinct(StringComparer.Ordinal).Chunk(MaxDocumentsPerBatchGet))
        {
            var body = new JsonObject { ["documents"] = new JsonArray([.. chunk.Select(n => (JsonNode)n)]) };
            using JsonDocument? answer = await _endpoint.SendAsync(HttpMethod.Post, $"v1/{DocumentsPath}:batchGet", body, cancellationToken);
            foreach (JsonElement item in Stream(answer, "batchGet"))
            {
                if (item.TryGetProperty("found", out JsonElement doc))
                {
                    FirestoreDocument d = FirestoreDocument.Parse(doc);
                    found[d.Name] = d;
                }
            }
        }
        return found;
    }

    /// <summary>
    /// Applies the writes atomically, or none of them: a failed precondition throws <see cref="GcpApiException"/> with
    /// status ALREADY_EXISTS (create over an existing document), NOT_FOUND (update of a missing one) or
    /// FAILED_PRECONDITION (update time moved on); contention may give ABORTED. Returns the update time of each write.
    /// </summary>
    public async Task<IReadOnlyList<string?>> CommitAsync(IReadOnlyList<FirestoreWrite> writes, CancellationToken cancellationToken)
    {
        if (writes.Count is 0 or > MaxWritesPerCommit)
        {
            throw new ArgumentException($"A commit holds 1 to {MaxWritesPerCommit} writes, not {writes.Count}.", nameof(writes));
        }
        var body = new JsonObject { ["writes"] = new JsonArray([.. writes.Select(w => (JsonNode)w.ToJson())]) };
        using JsonDocument? answer = await _endpoint.SendAsync(HttpMethod.Post, $"v1/{DocumentsPath}:commit", body, cancellationToken);
        var times = new List<string?>();
        if (answer is not null && answer.RootElement.TryGetProperty("writeResults", out JsonElement results))
        {
            foreach (JsonElement r in results.EnumerateArray())
            {
                times.Add(r.TryGetProperty("updateTime", out JsonElement t) ? t.GetString() : null);
            }
        }
        return times;
    }

    /// <summary>Every document the query selects, in its order.</summary>
    public async Task<IReadOnlyList<FirestoreDocument>> RunQueryAsync(FirestoreQuery query, CancellationToken cancellationToken)
    {
        QueryObserver?.Invoke(query);
        var body = new JsonObject { ["structuredQuery"] = query.ToJson() };
        using JsonDocument? answer = await _endpoint.SendAsync(HttpMethod.Post, $"v1/{DocumentsPath}:runQuery", body, cancellationToken);
        var documents = new List<FirestoreDocument>();
        foreach (JsonElement item in Stream(answer, "runQuery"))
        {
            if (item.TryGetProperty("document", out JsonElement doc))
            {
                documents.Add(FirestoreDocument.Parse(doc));
            }
        }
        return documents;
    }

    /// <summary>How many documents the query selects (<c>runAggregationQuery</c> with <c>count</c>).</summary>
    public async Task<long> CountAsync(FirestoreQuery query, CancellationToken cancellationToken)
    {
        const string Alias = "n";
        QueryObserver?.Invoke(query);
        var body = new JsonObject
        {
            ["structuredAggregationQuery"] = new JsonObject
            {
                ["structuredQuery"] = query.ToJson(),
                ["aggregations"] = new JsonArray(new JsonObject { ["alias"] = Alias, ["count"] = new JsonObject() }),
            },
        };
        using JsonDocument? answer = await _endpoint.SendAsync(HttpMethod.Post, $"v1/{DocumentsPath}:runAggregationQuery", body, cancellationToken);
        foreach (JsonElement item in Stream(answer, "runAggregationQuery"))
        {
            if (item.TryGetProperty("result", out JsonElement result)
                && result.TryGetProperty("aggregateFields", out JsonElement fields)
                && fields.TryGetProperty(Alias, out JsonElement count))
            {
                return FirestoreValues.Decode(count) is long n ? n : throw new FormatException($"The count came back as {count.GetRawText()}.");
            }
        }
        throw new GcpApiException($"Firestore's answer to a count over '{query.CollectionId}' held no count.");
    }

    /// <summary>The elements of a streamed answer (a JSON array); an answer that is not one is an error, never "nothing".</summary>
    private static IEnumerable<JsonElement> Stream(JsonDocument? answer, string method)
    {
        if (answer is null || answer.RootElement.ValueKind != JsonValueKind.Array)
        {
            throw new GcpApiException($"Firestore's answer to {method} was not a stream of results: {answer?.RootElement.GetRawText() ?? "(empty)"}");
        }
        foreach (JsonElement item in answer.RootElement.EnumerateArray())
        {
            if (item.TryGetProperty("error", out JsonElement error))
            {
                throw new GcpApiException($"Firestore's {method} failed part way: {error.GetRawText()}");
            }
            yield return item;
        }
    }

    [GeneratedRegex("^([a-z][a-z0-9.-]*:)?[a-z][a-z0-9-]*[a-z0-9]$")]
    private static partial Regex ProjectPattern();

    [GeneratedRegex("^[a-z][a-z0-9-]{2,61}[a-z0-9]$")]
    private static partial Regex DatabasePattern();
}
