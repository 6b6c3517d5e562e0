using System.Text.Json;
using System.Text.RegularExpressions;

namespace Cctv.Deploy.Tests.Container;

internal sealed record DockerInstruction(string Keyword, string Arguments, int Line);

internal sealed record DockerStage(string Image, string? Name, IReadOnlyList<DockerInstruction> Instructions)
{
    public IEnumerable<DockerInstruction> All(string keyword) => Instructions.Where(i => i.Keyword == keyword);

    public DockerInstruction? Last(string keyword) => All(keyword).LastOrDefault();
}

/// <summary>A Dockerfile split into stages and instructions (continuations joined, comments dropped).</summary>
internal sealed partial class Dockerfile
{
    private Dockerfile(IReadOnlyList<DockerStage> stages) => Stages = stages;

    public IReadOnlyList<DockerStage> Stages { get; }

    public DockerStage Final => Stages[^1];

    public static Dockerfile Parse(string text)
    {
        var stages = new List<DockerStage>();
        List<DockerInstruction>? current = null;
        var lines = text.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var start = i;
            var line = lines[i].Trim();
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }

            while (line.EndsWith('\\') && i + 1 < lines.Length)
            {
                i++;
                var next = lines[i].Trim();
                line = line[..^1].TrimEnd() + (next.StartsWith('#') ? "" : " " + next);
            }

            var space = line.IndexOfAny([' ', '\t']);
            var instruction = new DockerInstruction(
                (space < 0 ? line : line[..space]).ToUpperInvariant(),
                space < 0 ? "" : line[(space + 1)..].Trim(),
                start + 1);
            if (instruction.Keyword == "FROM")
            {
                var from = FromPattern().Match(instruction.Arguments);
                Assert.True(from.Success, $"line {instruction.Line}: cannot read FROM {instruction.Arguments}");
                current = [];
                stages.Add(new DockerStage(from.Groups["image"].Value, from.Groups["name"].Success ? from.Groups["name"].Value : null, current));
            }
            else
            {
                Assert.True(current is not null || instruction.Keyword == "ARG", $"line {instruction.Line}: {instruction.Keyword} before FROM");
                current?.Add(instruction);
            }
        }

        return new Dockerfile(stages);
    }

    /// <summary>The words of an exec-form (JSON array) instruction such as ENTRYPOINT.</summary>
    public static IReadOnlyList<string> ExecForm(DockerInstruction instruction)
    {
        Assert.True(instruction.Arguments.StartsWith('['), $"line {instruction.Line}: {instruction.Keyword} is not in exec form (a JSON array), so signals would not reach the process");
        return JsonSerializer.Deserialize<string[]>(instruction.Arguments) ?? [];
    }

    /// <summary>KEY=value pairs of ENV instructions (the legacy "ENV KEY value" form too).</summary>
    public static IReadOnlyDictionary<string, string> Env(DockerStage stage)
    {
        var env = new Dictionary<string, string>();
        foreach (var instruction in stage.All("ENV"))
        {
            var pairs = EnvPairPattern().Matches(instruction.Arguments);
            if (pairs.Count == 0)
            {
                var parts = instruction.Arguments.Split(' ', 2, StringSplitOptions.TrimEntries);
                env[parts[0]] = parts.Length > 1 ? parts[1] : "";
                continue;
            }

            foreach (Match pair in pairs)
            {
                env[pair.Groups["key"].Value] = pair.Groups["value"].Value.Trim('"');
            }
        }

        return env;
    }

    /// <summary>Source paths of COPY instructions without --from (what the build context must hold).</summary>
    public static IEnumerable<string> CopySources(DockerStage stage) =>
        stage.All("COPY")
            .Where(c => !c.Arguments.Contains("--from=", StringComparison.Ordinal))
            .SelectMany(c =>
            {
                var words = c.Arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries).Where(w => !w.StartsWith("--", StringComparison.Ordinal)).ToList();
                return words.Take(words.Count - 1);
            });

    [GeneratedRegex(@"^(--platform=\S+\s+)?(?<image>\S+)(\s+AS\s+(?<name>\S+))?$", RegexOptions.IgnoreCase)]
    private static partial Regex FromPattern();

    [GeneratedRegex(@"(?<key>[A-Za-z_][A-Za-z0-9_]*)=(?<value>""[^""]*""|\S*)")]
    private static partial Regex EnvPairPattern();
}
