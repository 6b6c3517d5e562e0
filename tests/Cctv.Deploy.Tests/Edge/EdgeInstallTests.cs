using System.Text.Json;
using Cctv.Deploy.Tests.Support;

namespace Cctv.Deploy.Tests.Edge;

/// <summary>The rest of edge-recorder/deploy/: the example configuration, its explanation, install.sh.</summary>
public sealed class EdgeInstallTests(ITestOutputHelper output)
{
    private const string Folder = "edge-recorder/deploy";

    private static readonly string[] SeedEnvironment =
    [
        "GCP_STORAGE_BUCKET_NAME", "GCP_STORAGE_PROJECT_ID", "GCP_STORAGE_CREDENTIALS_PATH", "GCP_STORAGE_USE_GCS",
        "GCP_STORAGE_AUTO_UPLOAD", "GCP_STORAGE_CLEANUP_LOCAL", "GCP_STORAGE_UPLOAD_TIMEOUT", "GCP_STORAGE_RETRY_ATTEMPTS",
        "GCP_STORAGE_RETRY_DELAY",
    ];

    internal static JsonElement ExampleConfig()
    {
        using var document = JsonDocument.Parse(Repo.Read($"{Folder}/config.example.json"));
        return document.RootElement.Clone();
    }

    [Fact]
    public void ExampleConfig_HasTheAgentsKeys()
    {
        var recorder = ExampleConfig().GetProperty("Recorder");

        Assert.Equal("gcp", recorder.GetProperty("Backend").GetString());
        Assert.NotEmpty(recorder.GetProperty("Cameras").EnumerateArray());
        Assert.True(TimeSpan.TryParse(recorder.GetProperty("Upload").GetProperty("RetryDelay").GetString(), out _));
        Assert.True(TimeSpan.TryParse(recorder.GetProperty("Upload").GetProperty("Timeout").GetString(), out _));
        Assert.Equal("/etc/cctv-edge/key.json", recorder.GetProperty("Gcp").GetProperty("CredentialsPath").GetString());
    }

    [Fact]
    public void EveryExampleConfigKey_IsExplainedInTheReadme()
    {
        var readme = Repo.Read($"{Folder}/README.md");
        var keys = LeafPaths(ExampleConfig(), "").Distinct().ToList();

        var unexplained = keys.Where(key => !readme.Contains($"`{key}`", StringComparison.Ordinal)).ToList();
        Assert.True(unexplained.Count == 0, $"README.md does not explain {string.Join(", ", unexplained)}");
    }

    [Fact]
    public void SeedEnvironmentOverrides_AreDocumented()
    {
        var readme = Repo.Read($"{Folder}/README.md");
        var example = Repo.Read($"{Folder}/environment.example");

        var notInReadme = SeedEnvironment.Where(name => !readme.Contains(name, StringComparison.Ordinal)).ToList();
        var notInExample = SeedEnvironment.Where(name => !example.Contains($"#{name}=", StringComparison.Ordinal)).ToList();
        Assert.True(notInReadme.Count == 0, $"README.md does not mention {string.Join(", ", notInReadme)}");
        Assert.True(notInExample.Count == 0, $"environment.example has no #NAME= line for {string.Join(", ", notInExample)}");
        // systemd keeps a trailing "# comment" as part of the value: none in the environment file.
        Assert.DoesNotContain(example.Split('\n'), line => line.Contains('=', StringComparison.Ordinal) && line.TrimStart('#').Contains(" #", StringComparison.Ordinal));
    }

    [Fact]
    public void InstallScript_ValidatesTheInstalledConfigAndStartsTheUnit()
    {
        var script = Repo.Read($"{Folder}/install.sh");

        Assert.StartsWith("#!/usr/bin/env bash", script, StringComparison.Ordinal);
        Assert.Contains("set -euo pipefail", script, StringComparison.Ordinal);
        Assert.Contains("validate --config \"${CONFIG_DIR}/config.json\"", script, StringComparison.Ordinal);
        Assert.Contains("systemctl daemon-reload", script, StringComparison.Ordinal);
        // validate is the last check, before the service is enabled.
        Assert.True(script.IndexOf("validate --config", StringComparison.Ordinal) < script.IndexOf("systemctl enable", StringComparison.Ordinal));
        if (!OperatingSystem.IsWindows())
        {
            var mode = File.GetUnixFileMode(Repo.PathOf($"{Folder}/install.sh"));
            Assert.True(mode.HasFlag(UnixFileMode.UserExecute), "install.sh is not executable");
        }
    }

    [Fact]
    public async Task InstallScript_PassesBashSyntaxCheckAndShellcheck()
    {
        var script = Repo.PathOf($"{Folder}/install.sh");
        var bash = Repo.OnPath("bash");
        Assert.True(bash is not null || OperatingSystem.IsWindows(), "bash is not on PATH");
        if (bash is not null)
        {
            var syntax = await ProcessRunner.RunAsync(bash, ["-n", script], Repo.Root, TimeSpan.FromMinutes(1));
            Assert.True(syntax.ExitCode == 0, syntax.Describe("bash -n install.sh"));
        }

        var shellcheck = Repo.OnPath("shellcheck");
        if (shellcheck is null)
        {
            output.WriteLine("NOT RUN: shellcheck is not on PATH.");
            return;
        }

        var lint = await ProcessRunner.RunAsync(shellcheck, [script], Repo.Root, TimeSpan.FromMinutes(1));
        Assert.True(lint.ExitCode == 0, lint.Describe("shellcheck install.sh"));
    }

    /// <summary><c>Recorder.Upload.Timeout</c>, <c>Recorder.Cameras[].Id</c>, ...</summary>
    private static IEnumerable<string> LeafPaths(JsonElement element, string path) => element.ValueKind switch
    {
        JsonValueKind.Object => element.EnumerateObject().SelectMany(p => LeafPaths(p.Value, path.Length == 0 ? p.Name : $"{path}.{p.Name}")),
        JsonValueKind.Array => element.EnumerateArray().SelectMany(item => LeafPaths(item, path + "[]")),
        _ => [path],
    };
}
