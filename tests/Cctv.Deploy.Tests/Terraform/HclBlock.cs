using System.Text.Json;

namespace Cctv.Deploy.Tests.Terraform;

/// <summary>
/// A block as hcl2json gives it: a body object under its type and labels
/// (<c>"resource": { "google_storage_bucket": { "archive": [ { ... } ] } }</c>), nested blocks as lists of
/// bodies. JSON cannot tell a block from an attribute by itself, so the number of labels each block type takes
/// comes from Terraform's language (<see cref="LabelCounts"/>); every other block type takes none.
/// </summary>
internal sealed class HclBlock
{
    private static readonly Dictionary<string, int> LabelCounts = new(StringComparer.Ordinal)
    {
        ["resource"] = 2,
        ["data"] = 2,
        ["ephemeral"] = 2,
        ["variable"] = 1,
        ["output"] = 1,
        ["module"] = 1,
        ["provider"] = 1,
        ["check"] = 1,
        ["backend"] = 1,
        ["dynamic"] = 1,
        ["provisioner"] = 1,
    };

    private readonly JsonElement _body;

    private HclBlock(string type, IReadOnlyList<string> labels, JsonElement body, HclFile file, string address)
    {
        Type = type;
        Labels = labels;
        _body = body;
        File = file;
        Address = address;
    }

    /// <summary><c>resource</c>, <c>variable</c>, <c>locals</c>; <c>cors</c>, <c>dynamic</c> for nested blocks.</summary>
    public string Type { get; }

    /// <summary><c>["google_storage_bucket", "archive"]</c> for a resource, <c>["lifecycle_rule"]</c> for a dynamic block.</summary>
    public IReadOnlyList<string> Labels { get; }

    public HclFile File { get; }

    /// <summary><c>resource.google_storage_bucket.archive</c>; nested blocks add <c>.cors[0]</c>, as Terraform addresses them.</summary>
    public string Address { get; }

    /// <summary>The address and file, for messages.</summary>
    public string Where => $"{Address} ({File.Name})";

    /// <summary>The attribute's value, or null when the block does not set it.</summary>
    public HclValue? Attribute(string name) =>
        _body.TryGetProperty(name, out var value) ? new HclValue(value, name, $"{Address}.{name}", File) : null;

    /// <summary>
    /// Every entry of the body, as values: the attributes of a block that has no nested blocks, such as
    /// <c>locals</c> (a nested block shows here as a list of objects).
    /// </summary>
    public IEnumerable<HclValue> Entries() =>
        _body.EnumerateObject().Select(p => new HclValue(p.Value, p.Name, $"{Address}.{p.Name}", File));

    /// <summary>The nested blocks of a type, e.g. every <c>env</c> of a container or every <c>dynamic</c> block.</summary>
    public IEnumerable<HclBlock> Children(string type) =>
        _body.TryGetProperty(type, out var value) ? Blocks(type, value, File, Address + ".") : [];

    /// <summary>Nested blocks along a path of block types, e.g. <c>template</c>, <c>containers</c>, <c>env</c>.</summary>
    public IEnumerable<HclBlock> Path(params string[] types) =>
        types.Aggregate((IEnumerable<HclBlock>)[this], (blocks, type) => blocks.SelectMany(b => b.Children(type)));

    /// <summary>Every value in this block and in the blocks inside it, nested values (list items, object entries) included.</summary>
    public IEnumerable<HclValue> AllValues() => Entries().SelectMany(v => v.Descendants());

    /// <summary>The top-level blocks of a file's body.</summary>
    internal static IEnumerable<HclBlock> TopLevel(JsonElement body, HclFile file) =>
        body.EnumerateObject().SelectMany(p => Blocks(p.Name, p.Value, file, ""));

    private static IEnumerable<HclBlock> Blocks(string type, JsonElement value, HclFile file, string parent)
    {
        var nested = parent.Length > 0;
        return Walk(value, LabelCounts.GetValueOrDefault(type), []);

        IEnumerable<HclBlock> Walk(JsonElement json, int labelsLeft, IReadOnlyList<string> labels)
        {
            if (labelsLeft > 0)
            {
                // Labelled: an object keyed by the next label.
                return json.ValueKind == JsonValueKind.Object
                    ? json.EnumerateObject().SelectMany(p => Walk(p.Value, labelsLeft - 1, [.. labels, p.Name]))
                    : throw NotABlock(json);
            }

            // A list of bodies: one per block of this type and labels.
            if (json.ValueKind != JsonValueKind.Array || json.EnumerateArray().Any(b => b.ValueKind != JsonValueKind.Object))
            {
                throw NotABlock(json);
            }

            var name = string.Join('.', new[] { type }.Concat(labels));
            return json.EnumerateArray().Select((body, index) =>
                new HclBlock(type, labels, body, file, nested ? $"{parent}{name}[{index}]" : name));
        }

        FormatException NotABlock(JsonElement json) =>
            new($"{parent}{type} in {file.Name} is not a block as hcl2json writes one: {json.GetRawText()}");
    }
}
