using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Cctv.Shared.Gcp.Firestore;

/// <summary>
/// One write of a commit: the fields to set (all of them, or only those of the update mask) and the
/// <c>currentDocument</c> precondition that must hold for the write to apply.
/// </summary>
public sealed partial record FirestoreWrite(
    string DocumentName,
    IReadOnlyDictionary<string, object?> Fields,
    IReadOnlyCollection<string>? UpdateMask,
    bool? MustExist,
    string? LastUpdateTime)
{
    /// <summary>Creates the document; fails with ALREADY_EXISTS when it exists (<c>currentDocument.exists = false</c>).</summary>
    public static FirestoreWrite Create(string documentName, IReadOnlyDictionary<string, object?> fields) =>
        new(documentName, fields, null, MustExist: false, null);

    /// <summary>Replaces (or creates) the whole document, whatever is there.</summary>
    public static FirestoreWrite Set(string documentName, IReadOnlyDictionary<string, object?> fields) =>
        new(documentName, fields, null, null, null);

    /// <summary>
    /// Sets only <paramref name="fields"/> (an update mask of their names), if the document was last updated at
    /// <paramref name="updateTime"/> (<c>currentDocument.updateTime</c>); fails with FAILED_PRECONDITION otherwise.
    /// </summary>
    public static FirestoreWrite UpdateIfUnchanged(string documentName, IReadOnlyDictionary<string, object?> fields, string updateTime) =>
        new(documentName, fields, [.. fields.Keys], null, updateTime);

    /// <summary>Sets only <paramref name="fields"/> of a document that must exist (NOT_FOUND otherwise).</summary>
    public static FirestoreWrite UpdateExisting(string documentName, IReadOnlyDictionary<string, object?> fields) =>
        new(documentName, fields, [.. fields.Keys], MustExist: true, null);

    internal JsonObject ToJson()
    {
        var write = new JsonObject
        {
            ["update"] = new JsonObject { ["name"] = DocumentName, ["fields"] = FirestoreValues.EncodeFields(Fields) },
        };
        if (UpdateMask is { } mask)
        {
            write["updateMask"] = new JsonObject { ["fieldPaths"] = new JsonArray([.. mask.Select(f => (JsonNode)FieldPath(f))]) };
        }
        if (MustExist is { } exists)
        {
            write["currentDocument"] = new JsonObject { ["exists"] = exists };
        }
        else if (LastUpdateTime is { } time)
        {
            write["currentDocument"] = new JsonObject { ["updateTime"] = time };
        }
        return write;
    }

    /// <summary>A field name as a field path: plain when it is a simple name, else quoted in backticks.</summary>
    internal static string FieldPath(string field) =>
        field == FirestoreQuery.DocumentNameField || SimpleName().IsMatch(field)
            ? field
            : "`" + field.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("`", "\\`", StringComparison.Ordinal) + "`";

    [GeneratedRegex("^[A-Za-z_][A-Za-z_0-9]*$")]
    private static partial Regex SimpleName();
}
