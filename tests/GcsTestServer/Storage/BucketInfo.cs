namespace Cctv.Testing.Gcs.Storage;

internal sealed record BucketInfo(string Name, DateTimeOffset Created);

/// <summary>One page of an object listing.</summary>
internal sealed record ObjectListPage(IReadOnlyList<TestObject> Items, IReadOnlyList<string> Prefixes, string? NextPageToken);

/// <summary>The parameters of objects.list this server honours.</summary>
internal sealed record ObjectListQuery(
    string Prefix,
    string? Delimiter,
    int MaxResults,
    string? StartAt,
    string? StartOffset,
    string? EndOffset,
    bool IncludeTrailingDelimiter);
