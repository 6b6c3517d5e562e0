using Cctv.Deploy.Tests.Support;

namespace Cctv.Deploy.Tests.Terraform;

/// <summary>The terraform/ root module, read with HashiCorp's parser (<see cref="Hcl2Json"/>).</summary>
internal sealed class TerraformConfig
{
    public const string Folder = "terraform";

    private TerraformConfig(IReadOnlyList<HclFile> files)
    {
        Files = files;
        Blocks = files.SelectMany(f => f.Blocks).ToList();
        Locals = Blocks.Where(b => b.Type == "locals")
            .SelectMany(b => b.Entries())
            .ToDictionary(a => a.Name, a => a, StringComparer.Ordinal);
    }

    private static readonly Lazy<TerraformConfig> LazyInstance = new(Load);

    /// <summary>Read once; a parse error (or a missing node) surfaces as itself in every test that needs the files.</summary>
    public static TerraformConfig Instance => LazyInstance.Value;

    public IReadOnlyList<HclFile> Files { get; }

    /// <summary>Top-level blocks of every file.</summary>
    public IReadOnlyList<HclBlock> Blocks { get; }

    /// <summary>Every local value, by name, across the files' <c>locals</c> blocks.</summary>
    public IReadOnlyDictionary<string, HclValue> Locals { get; }

    public IEnumerable<HclBlock> Resources(string type) =>
        Blocks.Where(b => b.Type == "resource" && b.Labels[0] == type);

    /// <summary>Resources whose type matches, e.g. every <c>google_*_iam_member</c>.</summary>
    public IEnumerable<HclBlock> Resources(Func<string, bool> type) =>
        Blocks.Where(b => b.Type == "resource" && type(b.Labels[0]));

    public IEnumerable<HclBlock> OfType(string blockType) => Blocks.Where(b => b.Type == blockType);

    public HclBlock? Resource(string type, string name) =>
        Resources(type).SingleOrDefault(b => b.Labels[1] == name);

    /// <summary>Every value in every file, nested ones included.</summary>
    public IEnumerable<HclValue> AllValues() => Files.SelectMany(f => f.AllValues());

    /// <summary>
    /// The instance keys of a resource: null without for_each; the keys of the object when for_each is an
    /// object or a local holding one; otherwise (a variable, a computed map) a <see cref="FormatException"/>, as
    /// the tests cannot know them.
    /// </summary>
    public IReadOnlyCollection<string>? ForEachKeys(HclBlock resource)
    {
        var forEach = resource.Attribute("for_each");
        if (forEach is null)
        {
            return null;
        }

        var value = forEach.Expression is { } expression
            && expression.StartsWith("local.", StringComparison.Ordinal)
            && Locals.TryGetValue(expression["local.".Length..], out var local)
                ? local
                : forEach;
        return value.Entries.Keys.ToList();
    }

    private static TerraformConfig Load()
    {
        var folder = Repo.PathOf(Folder);
        Assert.True(Directory.Exists(folder), $"{folder} is missing");
        var paths = Directory.EnumerateFiles(folder, "*.tf", SearchOption.AllDirectories)
            .Where(path => !path.Split(Path.DirectorySeparatorChar).Contains(".terraform"))
            .Order(StringComparer.Ordinal)
            .ToList();
        Assert.NotEmpty(paths);
        return new TerraformConfig(Hcl2Json.Read(paths));
    }
}
