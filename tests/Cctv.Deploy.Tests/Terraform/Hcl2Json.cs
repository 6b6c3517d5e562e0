using System.Text.Json;
using Cctv.Deploy.Tests.Support;
using Cctv.TestSupport;

namespace Cctv.Deploy.Tests.Terraform;

/// <summary>
/// Reads .tf files with HashiCorp's HCL parser: node runs <c>hcl2json/read-tf.mjs</c>, which calls the npm package
/// <c>@cdktf/hcl2json</c> (installed by this project's build, pinned in <c>hcl2json/package-lock.json</c>), and the
/// JSON it prints becomes <see cref="HclFile"/>s. Without node, or without the package, it fails saying what to
/// install: the terraform tests never pass without the parser.
/// </summary>
internal static class Hcl2Json
{
    /// <summary>The npm package's folder, relative to the repository.</summary>
    public const string Folder = "tests/Cctv.Deploy.Tests/Terraform/hcl2json";

    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(3);

    /// <summary>
    /// Parses the files in one node run (the parser's WebAssembly takes seconds to start). A file that does not
    /// parse throws a <see cref="FormatException"/> with the parser's message, which names the file and line.
    /// </summary>
    public static IReadOnlyList<HclFile> Read(IReadOnlyList<string> paths)
    {
        var node = RequiredTool.Find("node", "nodejs");
        var folder = Repo.PathOf(Folder);
        if (!File.Exists(Path.Combine(folder, "node_modules", "@cdktf", "hcl2json", "package.json")))
        {
            RequiredTool.Find("npm", "npm");
            throw new InvalidOperationException(
                $"@cdktf/hcl2json is not installed in {folder}: build tests/Cctv.Deploy.Tests again (its build runs `npm ci` there).");
        }

        // Blocking is fine here: the callers are synchronous tests and a Lazy, with no synchronization context.
        var result = ProcessRunner.RunAsync(node, ["read-tf.mjs", .. paths], folder, Timeout).GetAwaiter().GetResult();
        if (result.ExitCode != 0)
        {
            throw new FormatException($"HCL parser: {result.Error.Trim()}\n({result.Describe("node read-tf.mjs")})");
        }

        using var document = JsonDocument.Parse(result.Output);
        var root = document.RootElement;
        var expressions = root.GetProperty("expressions").EnumerateObject().ToDictionary(
            e => e.Name,
            e => new HclExpressionInfo(
                e.Value.GetProperty("expression").GetString(),
                e.Value.GetProperty("references").EnumerateArray().Select(r => r.GetString()!).ToList()),
            StringComparer.Ordinal);
        return root.GetProperty("files").EnumerateArray()
            .Select(f => new HclFile(f.GetProperty("path").GetString()!, f.GetProperty("body").Clone(), expressions))
            .ToList();
    }
}

/// <summary>What the parser says of a string holding an interpolation (see read-tf.mjs).</summary>
internal sealed record HclExpressionInfo(string? Expression, IReadOnlyList<string> References);

/// <summary>One parsed .tf file: its top-level blocks.</summary>
internal sealed class HclFile
{
    private readonly IReadOnlyDictionary<string, HclExpressionInfo> _expressions;

    public HclFile(string path, JsonElement body, IReadOnlyDictionary<string, HclExpressionInfo> expressions)
    {
        Path = path;
        _expressions = expressions;
        Blocks = HclBlock.TopLevel(body, this).ToList();
    }

    public string Path { get; }

    public string Name => System.IO.Path.GetFileName(Path);

    /// <summary>Top-level blocks (resource, data, variable, output, locals, terraform, provider ...), ordered by type and labels as hcl2json writes them.</summary>
    public IReadOnlyList<HclBlock> Blocks { get; }

    /// <summary>Every value in the file, nested ones included (see <see cref="HclBlock.AllValues"/>).</summary>
    public IEnumerable<HclValue> AllValues() => Blocks.SelectMany(b => b.AllValues());

    internal HclExpressionInfo? Analysis(string text) => _expressions.GetValueOrDefault(text);
}
