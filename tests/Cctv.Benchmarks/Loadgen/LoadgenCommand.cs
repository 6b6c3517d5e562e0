using System.Globalization;

namespace Cctv.Benchmarks.Loadgen;

/// <summary><c>loadgen --recorders N --cameras M --seconds S [--rate R] [--duplicates 0.05] [--concurrency 20] [--backend embedded|gcp]</c>.</summary>
public static class LoadgenCommand
{
    public static async Task<int> RunAsync(string[] args)
    {
        LoadOptions options;
        try
        {
            options = Parse(args);
            options.Validate();
        }
        catch (ArgumentException e)
        {
            Console.Error.WriteLine($"loadgen: {e.Message}");
            return 2;
        }
        string dir = Path.Combine(Path.GetTempPath(), "cctv-loadgen-" + Guid.NewGuid().ToString("N")[..8]);
        try
        {
            await using ILoadBackend backend = Backend(args) == "gcp"
                ? await GcpLoadBackend.StartAsync(CancellationToken.None)
                : await EmbeddedLoadBackend.StartAsync(dir, CancellationToken.None);
            Console.WriteLine($"backend: {backend.Name}");
            LoadResult result = await LoadGenerator.RunAsync(options, backend, CancellationToken.None);
            Console.WriteLine(result.Report(options));
            return result.Problems.Count == 0 ? 0 : 1;
        }
        finally
        {
            if (Directory.Exists(dir))
            {
                Directory.Delete(dir, recursive: true);
            }
        }
    }

    private static string Backend(string[] args) =>
        args.Zip(args.Skip(1)).LastOrDefault(p => p.First == "--backend").Second ?? "embedded";

    private static LoadOptions Parse(string[] args)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        for (int i = 0; i < args.Length; i++)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal) || i + 1 >= args.Length)
            {
                throw new ArgumentException($"expected --option value, not '{args[i]}'.");
            }
            values[args[i]] = args[++i];
        }
        string backend = values.GetValueOrDefault("--backend", "embedded");
        if (backend is not ("embedded" or "gcp"))
        {
            throw new ArgumentException($"--backend is embedded or gcp, not {backend}.");
        }
        int Int(string name, int fallback) => values.TryGetValue(name, out string? v)
            ? int.TryParse(v, NumberStyles.None, CultureInfo.InvariantCulture, out int n) ? n : throw new ArgumentException($"{name} '{v}' is not a whole number.")
            : fallback;
        double? Double(string name) => values.TryGetValue(name, out string? v)
            ? double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out double d) && double.IsFinite(d) ? d : throw new ArgumentException($"{name} '{v}' is not a number.")
            : null;
        string[] known = ["--recorders", "--cameras", "--seconds", "--rate", "--duplicates", "--concurrency", "--segment-bytes", "--backend"];
        if (values.Keys.FirstOrDefault(k => !known.Contains(k)) is { } unknown)
        {
            throw new ArgumentException($"unknown option {unknown}; the options are {string.Join(", ", known)}.");
        }
        return new LoadOptions(Int("--recorders", 4), Int("--cameras", 8), Double("--seconds") ?? 10, Double("--rate"), Double("--duplicates") ?? 0.05,
            Int("--concurrency", 20), Int("--segment-bytes", 2048));
    }
}
