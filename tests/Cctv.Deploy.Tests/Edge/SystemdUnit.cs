namespace Cctv.Deploy.Tests.Edge;

/// <summary>A systemd unit file: sections of (key, value) in order, continuations joined, comments dropped.</summary>
internal sealed class SystemdUnit
{
    private readonly Dictionary<string, List<KeyValuePair<string, string>>> _sections;

    private SystemdUnit(Dictionary<string, List<KeyValuePair<string, string>>> sections) => _sections = sections;

    public static SystemdUnit Parse(string text)
    {
        var sections = new Dictionary<string, List<KeyValuePair<string, string>>>();
        List<KeyValuePair<string, string>>? current = null;
        var lines = text.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i].Trim();
            if (line.Length == 0 || line[0] is '#' or ';')
            {
                continue;
            }

            while (line.EndsWith('\\') && i + 1 < lines.Length)
            {
                i++;
                line = line[..^1] + " " + lines[i].Trim();
            }

            if (line.StartsWith('[') && line.EndsWith(']'))
            {
                current = [];
                sections[line[1..^1]] = current;
                continue;
            }

            var equals = line.IndexOf('=', StringComparison.Ordinal);
            Assert.True(current is not null && equals > 0, $"line {i + 1}: not a key=value inside a section: {line}");
            current.Add(new(line[..equals].Trim(), line[(equals + 1)..].Trim()));
        }

        return new SystemdUnit(sections);
    }

    /// <summary>Every value of a key (repeatable keys keep all, in order).</summary>
    public IReadOnlyList<string> All(string section, string key) =>
        _sections.TryGetValue(section, out var entries) ? entries.Where(e => e.Key == key).Select(e => e.Value).ToList() : [];

    /// <summary>The effective value of a single-valued key (the last one wins), or null.</summary>
    public string? this[string section, string key] => All(section, key) is { Count: > 0 } values ? values[^1] : null;
}
