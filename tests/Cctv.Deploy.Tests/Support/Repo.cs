using System.Text.RegularExpressions;
using System.Xml.Linq;

namespace Cctv.Deploy.Tests.Support;

/// <summary>The repository these tests read, located from the test binaries.</summary>
internal static partial class Repo
{
    private static readonly Lazy<string> LazyRoot = new(FindRoot);

    /// <summary>The folder holding CctvServerless.sln (or, before it exists, Directory.Packages.props).</summary>
    public static string Root => LazyRoot.Value;

    public static string PathOf(string relative) =>
        Path.Combine(Root, relative.Replace('/', Path.DirectorySeparatorChar));

    public static string Read(string relative)
    {
        var path = PathOf(relative);
        Assert.True(File.Exists(path), $"{relative} is missing (looked in {Root})");
        return File.ReadAllText(path);
    }

    /// <summary>The values of every <c>const string Name = "Value";</c> in a C# file.</summary>
    public static IReadOnlyList<string> ConstStrings(string relative)
    {
        var values = ConstStringPattern().Matches(Read(relative)).Select(m => m.Groups["value"].Value).ToList();
        Assert.True(values.Count > 0, $"{relative} declares no `const string`");
        return values;
    }

    /// <summary>FUNCTION_TARGET values the functions host defines.</summary>
    public static IReadOnlyList<string> FunctionTargets => ConstStrings("functions/Hosting/FunctionTargets.cs");

    /// <summary>Environment variables a deployed function reads.</summary>
    public static IReadOnlyList<string> FunctionEnvironment => ConstStrings("functions/Hosting/FunctionEnvironment.cs");

    /// <summary>
    /// The project and every project it references, transitively, as repository-relative paths of
    /// their .csproj files (forward slashes).
    /// </summary>
    public static IReadOnlyList<string> ProjectClosure(string project)
    {
        var seen = new List<string>();
        var pending = new Stack<string>([Normalize(project)]);
        while (pending.Count > 0)
        {
            var current = pending.Pop();
            if (seen.Contains(current))
            {
                continue;
            }

            seen.Add(current);
            var directory = Path.GetDirectoryName(PathOf(current))!;
            foreach (var reference in XDocument.Parse(Read(current)).Descendants("ProjectReference"))
            {
                var include = reference.Attribute("Include")?.Value.Replace('\\', '/');
                if (!string.IsNullOrEmpty(include))
                {
                    pending.Push(Normalize(Path.GetRelativePath(Root, Path.GetFullPath(Path.Combine(directory, include)))));
                }
            }
        }

        return seen;
    }

    /// <summary>The folder of a repository-relative project path: <c>functions/Cctv.Functions.csproj</c> gives <c>functions</c>.</summary>
    public static string FolderOf(string project) => Normalize(Path.GetDirectoryName(project) ?? "");

    /// <summary>Whether CI=true (CI systems set it): then a check that cannot run fails instead of being skipped.</summary>
    public static bool IsCi => string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    /// <summary>The full path of an executable on PATH, or null.</summary>
    public static string? OnPath(string executable)
    {
        foreach (var directory in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(directory, executable);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }

    private static string Normalize(string relative) => relative.Replace('\\', '/').Trim('/');

    private static string FindRoot()
    {
        string? fallback = null;
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "CctvServerless.sln")))
            {
                return directory.FullName;
            }

            if (fallback is null && File.Exists(Path.Combine(directory.FullName, "Directory.Packages.props")))
            {
                fallback = directory.FullName;
            }
        }

        return fallback ?? throw new InvalidOperationException(
            $"No folder above {AppContext.BaseDirectory} holds CctvServerless.sln or Directory.Packages.props.");
    }

    [GeneratedRegex("""const\s+string\s+\w+\s*=\s*"(?<value>[^"]*)"\s*;""")]
    private static partial Regex ConstStringPattern();
}
