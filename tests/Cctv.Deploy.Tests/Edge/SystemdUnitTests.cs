using System.Text.RegularExpressions;
using Cctv.Deploy.Tests.Support;

namespace Cctv.Deploy.Tests.Edge;

/// <summary>edge-recorder/deploy/cctv-edge.service, against what install.sh puts where.</summary>
public sealed partial class SystemdUnitTests(ITestOutputHelper output)
{
    private const string UnitPath = "edge-recorder/deploy/cctv-edge.service";

    private static SystemdUnit Unit => SystemdUnit.Parse(Repo.Read(UnitPath));

    [Fact]
    public void Service_RestartsAlwaysAndNeverGivesUp()
    {
        Assert.Equal("always", Unit["Service", "Restart"]);
        Assert.Equal("0", Unit["Unit", "StartLimitIntervalSec"]);
        Assert.NotNull(Unit["Service", "RestartSec"]);
    }

    [Fact]
    public void Service_RunsAsTheDedicatedUserInstallShCreates()
    {
        var user = Unit["Service", "User"];

        Assert.False(string.IsNullOrEmpty(user), "no User=: the agent would run as root");
        Assert.DoesNotContain(user, new[] { "root", "0", "nobody" });
        Assert.Equal(InstallScriptValue("SERVICE_USER"), user);
    }

    [Fact]
    public void ExecStart_RunsTheInstalledAgentWithTheInstalledConfig()
    {
        var execStart = Unit["Service", "ExecStart"];

        Assert.Equal(
            $"{InstallScriptValue("PREFIX")}/Cctv.EdgeRecorder run --config {InstallScriptValue("CONFIG_DIR")}/config.json",
            execStart);
    }

    [Fact]
    public void DataDirectory_IsTheServicesStateDirectoryAndTheExampleConfigsDataDir()
    {
        var stateDirectory = Unit["Service", "StateDirectory"];

        Assert.False(string.IsNullOrEmpty(stateDirectory) && Unit.All("Service", "ReadWritePaths").Count == 0, "no data directory the service may write");
        Assert.Equal($"/var/lib/{stateDirectory}", InstallScriptValue("DATA_DIR"));
        Assert.Equal(InstallScriptValue("DATA_DIR"), EdgeInstallTests.ExampleConfig().GetProperty("Recorder").GetProperty("DataDir").GetString());
    }

    [Fact]
    public void Service_IsHardened()
    {
        Assert.Equal("yes", Unit["Service", "NoNewPrivileges"]);
        Assert.Equal("strict", Unit["Service", "ProtectSystem"]);
        Assert.Equal("yes", Unit["Service", "ProtectHome"]);
        Assert.Equal("yes", Unit["Service", "PrivateTmp"]);
        Assert.Equal("", Unit["Service", "CapabilityBoundingSet"]);
        Assert.NotNull(Unit["Service", "SystemCallFilter"]);
        Assert.NotNull(Unit["Service", "RestrictAddressFamilies"]);
        // The .NET JIT writes executable code: MemoryDenyWriteExecute=yes would crash the agent at start.
        Assert.NotEqual("yes", Unit["Service", "MemoryDenyWriteExecute"]);
    }

    [Fact]
    public void Environment_CapsTheGcYoungBudget_WhereTheRuntimeReadsIt()
    {
        // The runtime reads GCgen0size from the environment only (a runtimeconfig.json entry was measured to change nothing):
        // without it, a machine reporting a large last-level cache lets the agent's heap grow far before collecting.
        Assert.True(UnitEnvironment().TryGetValue("DOTNET_GCgen0size", out string? budget), "the unit does not set DOTNET_GCgen0size");
        long bytes = Convert.ToInt64(budget, 16); // the runtime reads it as hexadecimal, with or without 0x
        Assert.InRange(bytes, 256 * 1024, 16 * 1024 * 1024);
        Assert.DoesNotContain("Gen0Size", Repo.Read("edge-recorder/runtimeconfig.template.json"), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void Environment_KeepsNoJitScratchCache()
    {
        // By default the runtime keeps up to 16 MiB of the JIT's freed scratch memory for reuse; the agent's start (every
        // method compiled optimised, tiers off) left 10 MiB of it resident through its first minute, the agent's peak RSS.
        Assert.True(UnitEnvironment().TryGetValue("DOTNET_JitHostMaxSlabCache", out string? cache), "the unit does not set DOTNET_JitHostMaxSlabCache");
        Assert.InRange(Convert.ToInt64(cache, 16), 0, 1024 * 1024); // hexadecimal, as the runtime reads it
    }

    [Fact]
    public void Environment_NamesTheSegmentsGC_WhichTheRuntimeShips()
    {
        // The regions GC's committed memory let peak RSS climb to 104 MB over ten minutes at 16 cameras of 4 Mbit/s with
        // verification held back; the segments GC held 97-98 MB. A runtime without the named library cannot start at all.
        Assert.True(UnitEnvironment().TryGetValue("DOTNET_GCName", out string? gc), "the unit does not set DOTNET_GCName");
        Assert.Equal("libclrgc.so", gc);
        Assert.True(File.Exists(Path.Combine(System.Runtime.InteropServices.RuntimeEnvironment.GetRuntimeDirectory(), gc)),
            $"the runtime these tests run on ({System.Runtime.InteropServices.RuntimeEnvironment.GetRuntimeDirectory()}) has no {gc}");
        // install.sh runs validate with the unit's settings, so a runtime without it fails the install, not the service.
        Assert.Contains("grep '^Environment=' \"${UNIT_PATH}\"", Repo.Read("edge-recorder/deploy/install.sh"), StringComparison.Ordinal);
    }

    /// <summary>The unit's <c>Environment=</c> assignments; a name set twice keeps its last value, as systemd does.</summary>
    private static Dictionary<string, string> UnitEnvironment()
    {
        var variables = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string[] pair in Unit.All("Service", "Environment")
            .SelectMany(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Select(assignment => assignment.Split('=', 2)))
        {
            variables[pair[0]] = pair[1];
        }
        return variables;
    }

    [Fact]
    public void Stop_SignalsTheAgentAloneAndWaitsLongerThanItsStopGrace()
    {
        // SIGTERM to the agent only: it stops its FFmpegs itself (a SIGTERM to them too would end their segments
        // before the agent seals them); whatever is left after TimeoutStopSec gets SIGKILL.
        Assert.Equal("SIGTERM", Unit["Service", "KillSignal"]);
        Assert.Equal("mixed", Unit["Service", "KillMode"]);

        var timeout = SystemdSeconds(Unit["Service", "TimeoutStopSec"] ?? Unit["Service", "TimeoutSec"]);
        var grace = CSharpDefault("edge-recorder/Configuration/RecorderOptions.cs", "StopGrace");
        var ffmpegWait = CSharpDefault("edge-recorder/Cameras/CameraSupervisor.cs", "FfmpegStopWait");

        // The grace counts from the signal and holds FFmpeg's wait; the margin is for the agent's own exit.
        Assert.True(grace >= ffmpegWait, $"Recorder:StopGrace's default {grace} is shorter than FFmpeg's stop wait {ffmpegWait}");
        Assert.True(timeout >= grace + StopMargin,
            $"TimeoutStopSec={timeout.TotalSeconds:F0}s leaves less than {StopMargin.TotalSeconds:F0} s beyond Recorder:StopGrace's default ({grace}): systemd would SIGKILL a clean stop");
    }

    private static readonly TimeSpan StopMargin = TimeSpan.FromSeconds(15);

    /// <summary>A systemd time span: <c>90</c>, <c>60s</c>, <c>1min 30s</c>, <c>2m</c>, <c>500ms</c>.</summary>
    internal static TimeSpan SystemdSeconds(string? value)
    {
        Assert.False(string.IsNullOrWhiteSpace(value), "no TimeoutStopSec=: systemd's default (90 s, or DefaultTimeoutStopSec) applies unseen");
        var parts = SystemdSpanPattern().Matches(value);
        Assert.True(parts.Count > 0 && string.Concat(parts.Select(p => p.Value)).Replace(" ", "", StringComparison.Ordinal) == value.Replace(" ", "", StringComparison.Ordinal),
            $"'{value}' is not a time span this test reads");
        return parts.Aggregate(TimeSpan.Zero, (sum, p) => sum + p.Groups["unit"].Value switch
        {
            "" or "s" or "sec" => TimeSpan.FromSeconds(double.Parse(p.Groups["n"].Value, System.Globalization.CultureInfo.InvariantCulture)),
            "ms" => TimeSpan.FromMilliseconds(double.Parse(p.Groups["n"].Value, System.Globalization.CultureInfo.InvariantCulture)),
            "m" or "min" => TimeSpan.FromMinutes(double.Parse(p.Groups["n"].Value, System.Globalization.CultureInfo.InvariantCulture)),
            _ => TimeSpan.FromHours(double.Parse(p.Groups["n"].Value, System.Globalization.CultureInfo.InvariantCulture)),
        });
    }

    /// <summary>The <c>TimeSpan.FromSeconds(n)</c> or <c>FromMinutes(n)</c> a C# file gives <paramref name="name"/> by default.</summary>
    private static TimeSpan CSharpDefault(string file, string name)
    {
        var match = Regex.Match(Repo.Read(file), $@"\b{name}\s*(\{{\s*get;\s*set;\s*\}})?\s*=\s*TimeSpan\.From(?<unit>Seconds|Minutes)\((?<n>\d+)\)");
        Assert.True(match.Success, $"{file} gives {name} no TimeSpan.FromSeconds/FromMinutes default");
        var n = int.Parse(match.Groups["n"].Value, System.Globalization.CultureInfo.InvariantCulture);
        return match.Groups["unit"].Value == "Seconds" ? TimeSpan.FromSeconds(n) : TimeSpan.FromMinutes(n);
    }

    [Fact]
    public async Task SystemdAnalyzeVerify_AcceptsTheUnit()
    {
        var analyze = Repo.OnPath("systemd-analyze");
        if (analyze is null)
        {
            output.WriteLine("NOT RUN: systemd-analyze is not on PATH (package systemd), so `systemd-analyze verify` did not run.");
            return;
        }

        // verify requires ExecStart's binary: where the agent is not installed, check a copy whose
        // ExecStart is /bin/true instead (everything else unchanged).
        var text = Repo.Read(UnitPath);
        var binary = Unit["Service", "ExecStart"]!.Split(' ')[0];
        if (!File.Exists(binary))
        {
            text = text.Replace($"ExecStart={binary}", "ExecStart=/bin/true", StringComparison.Ordinal);
            output.WriteLine($"{binary} is not installed here: verifying with ExecStart=/bin/true");
        }

        var folder = Directory.CreateTempSubdirectory("cctv-unit-");
        try
        {
            var unit = Path.Combine(folder.FullName, Path.GetFileName(UnitPath));
            await File.WriteAllTextAsync(unit, text);
            var result = await ProcessRunner.RunAsync(analyze, ["verify", "--man=no", unit], folder.FullName, TimeSpan.FromMinutes(1));
            output.WriteLine(result.Describe("systemd-analyze verify"));

            // verify exits 0 on warnings such as an unknown key: any line about our unit is a failure.
            var complaints = (result.Output + result.Error).Split('\n')
                .Where(line => line.Contains(Path.GetFileName(UnitPath), StringComparison.Ordinal))
                .ToList();
            Assert.True(result.ExitCode == 0 && complaints.Count == 0, result.Describe("systemd-analyze verify " + UnitPath));
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    /// <summary>A <c>readonly NAME=value</c> of install.sh (values with ${OTHER} expanded).</summary>
    internal static string InstallScriptValue(string name)
    {
        var values = ReadonlyPattern().Matches(Repo.Read("edge-recorder/deploy/install.sh"))
            .ToDictionary(m => m.Groups["name"].Value, m => m.Groups["value"].Value);
        Assert.True(values.ContainsKey(name), $"install.sh has no `readonly {name}=`");
        return ExpansionPattern().Replace(values[name], m => values[m.Groups[1].Value]);
    }

    [GeneratedRegex(@"^readonly (?<name>[A-Z_]+)=(?<value>\S+)$", RegexOptions.Multiline)]
    private static partial Regex ReadonlyPattern();

    [GeneratedRegex(@"\$\{([A-Z_]+)\}")]
    private static partial Regex ExpansionPattern();

    [GeneratedRegex(@"(?<n>\d+(\.\d+)?)\s*(?<unit>ms|min|sec|s|m|h|)(?![a-z])")]
    private static partial Regex SystemdSpanPattern();
}
