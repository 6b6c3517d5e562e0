using Cctv.Deploy.Tests.Support;

namespace Cctv.Deploy.Tests.Terraform;

/// <summary>The terraform/ root module, read with <see cref="HclReader"/>.</summary>
internal sealed class TerraformConfig
{
    public const string Folder = "terraform";

    private TerraformConfig(IReadOnlyList<HclBlock> files)
    {
        Files = files;
        Blocks = files.SelectMany(f => f.Blocks).ToList();
        Locals = Blocks.Where(b => b.Type == "locals")
            .SelectMany(b => b.Attributes)
            .ToDictionary(a => a.Name, a => a.Expression);
    }

    private static readonly Lazy<TerraformConfig> LazyInstance = new(Load);

    /// <summary>Read once; a parse error surfaces as itself in every test that needs the files.</summary>
    public static TerraformConfig Instance => LazyInstance.Value;

    public IReadOnlyList<HclBlock> Files { get; }

    /// <summary>Top-level blocks of every file.</summary>
    public IReadOnlyList<HclBlock> Blocks { get; }

    public IReadOnlyDictionary<string, string> Locals { get; }

    public IEnumerable<HclBlock> Resources(string type) =>
        Blocks.Where(b => b.Type == "resource" && b.Labels[0] == type);

    /// <summary>Resources whose type matches, e.g. every <c>google_*_iam_member</c>.</summary>
    public IEnumerable<HclBlock> Resources(Func<string, bool> type) =>
        Blocks.Where(b => b.Type == "resource" && type(b.Labels[0]));

    public IEnumerable<HclBlock> OfType(string blockType) => Blocks.Where(b => b.Type == blockType);

    public HclBlock? Resource(string type, string name) =>
        Resources(type).SingleOrDefault(b => b.Labels[1] == name);

    /// <summary>
    /// The instance keys of a resource: null without for_each; the keys of the object when
    /// for_each is an object constructor or a local holding one; otherwise (a variable, a
    /// computed map) an exception, as the tests cannot know them.
    /// </summary>
    public IReadOnlyCollection<string>? ForEachKeys(HclBlock resource)
    {
        var forEach = resource.Attribute("for_each");
        if (forEach is null)
        {
            return null;
        }

        var expression = forEach.StartsWith("local.", StringComparison.Ordinal) && Locals.TryGetValue(forEach["local.".Length..], out var local)
            ? local
            : forEach;
        return HclExpression.ObjectEntries(expression).Keys.ToList();
    }

    private static TerraformConfig Load()
    {
        var folder = Repo.PathOf(Folder);
        Assert.True(Directory.Exists(folder), $"{folder} is missing");
        var files = Directory.EnumerateFiles(folder, "*.tf", SearchOption.AllDirectories)
            .Where(path => !path.Split(Path.DirectorySeparatorChar).Contains(".terraform"))
            .Order(StringComparer.Ordinal)
            .Select(path => HclReader.Parse(File.ReadAllText(path), path))
            .ToList();
        Assert.NotEmpty(files);
        return new TerraformConfig(files);
    }
}
