using System.Text.Json;

namespace Cctv.Deploy.Tests.Terraform;

/// <summary>
/// An attribute's value as hcl2json gives it: a literal as JSON (string, number, bool, null, list, object) and
/// any other expression as a string holding its source, <c>"${each.key}"</c>; a template keeps its source,
/// <c>"${var.name_prefix}-retry"</c>. What the parser says of each expression (the whole-value expression and
/// its references) comes from read-tf.mjs.
/// </summary>
internal sealed class HclValue
{
    private readonly HclFile _file;

    internal HclValue(JsonElement json, string name, string address, HclFile file)
    {
        Json = json;
        Name = name;
        Address = address;
        _file = file;
    }

    public JsonElement Json { get; }

    /// <summary>The attribute or object key this is the value of (a list item has its list's): <c>role</c>, <c>run_invokers</c>.</summary>
    public string Name { get; }

    /// <summary><c>resource.google_storage_bucket.archive.cors[0].origin</c>, <c>locals.functions.PlayerApi</c>.</summary>
    public string Address { get; }

    /// <summary>The address and file, for messages.</summary>
    public string Where => $"{Address} ({_file.Name})";

    /// <summary>A string as hcl2json writes it (a literal, or an expression's or template's source); null for any other value.</summary>
    public string? Text => Json.ValueKind == JsonValueKind.String ? Json.GetString() : null;

    /// <summary>A string literal's value: null for any other value, and for a string holding an interpolation.</summary>
    public string? Literal => Text is { } text && Analysis is null
        ? text.Replace("$${", "${", StringComparison.Ordinal).Replace("%%{", "%{", StringComparison.Ordinal)
        : null;

    /// <summary>
    /// The source of the expression when it is the whole value: <c>each.key</c>, <c>local.functions</c>,
    /// <c>google_service_account.function[each.key].email</c>. Null for literals and for templates (<c>"${var.a}-b"</c>).
    /// </summary>
    public string? Expression => Analysis?.Expression;

    /// <summary>
    /// What the value refers to, as HashiCorp's parser finds it, an index by a string as a quoted step:
    /// <c>var.region</c>, <c>each.key</c>, <c>google_cloud_run_v2_service.function."RetryHandler".uri</c>. The
    /// names a for expression declares are not references. Empty for literals; nested values have their own.
    /// </summary>
    public IReadOnlyList<string> References => Analysis?.References ?? [];

    public bool IsTrue => Json.ValueKind == JsonValueKind.True;

    public bool IsFalse => Json.ValueKind == JsonValueKind.False;

    /// <summary>The entries of an object (an object constructor whose keys are literals).</summary>
    public IReadOnlyDictionary<string, HclValue> Entries => Json.ValueKind == JsonValueKind.Object
        ? Json.EnumerateObject().ToDictionary(p => p.Name, p => Child(p.Value, p.Name, $"{Address}.{p.Name}"), StringComparer.Ordinal)
        : throw new FormatException($"{Where} is not an object: {this}");

    /// <summary>The items of a list (a tuple constructor).</summary>
    public IReadOnlyList<HclValue> Items => Json.ValueKind == JsonValueKind.Array
        ? Json.EnumerateArray().Select((item, index) => Child(item, Name, $"{Address}[{index}]")).ToList()
        : throw new FormatException($"{Where} is not a list: {this}");

    /// <summary>This value, then every value inside it (list items, object entries), depth first.</summary>
    public IEnumerable<HclValue> Descendants()
    {
        yield return this;
        var children = Json.ValueKind switch
        {
            JsonValueKind.Object => Entries.Values,
            JsonValueKind.Array => Items,
            _ => [],
        };
        foreach (var descendant in children.SelectMany(c => c.Descendants()))
        {
            yield return descendant;
        }
    }

    /// <summary>The JSON hcl2json wrote for the value, e.g. <c>"${local.functions}"</c> or <c>true</c>.</summary>
    public override string ToString() => Json.GetRawText();

    private HclExpressionInfo? Analysis => Text is { } text ? _file.Analysis(text) : null;

    private HclValue Child(JsonElement json, string name, string address) => new(json, name, address, _file);
}
