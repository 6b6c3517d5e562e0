using System.Text.RegularExpressions;
using Cctv.Deploy.Tests.Support;
using Cctv.Deploy.Tests.Terraform;

namespace Cctv.Deploy.Tests.Container;

/// <summary>cloudbuild.yaml against the Dockerfile and the services terraform declares.</summary>
public sealed partial class CloudBuildTests
{
    private static string Build => Repo.Read("cloudbuild.yaml");

    [Fact]
    public void Build_TestsBuildsPushesAndDeploysInThatOrder()
    {
        var steps = StepId().Matches(Build).Select(m => m.Groups[1].Value).ToList();

        Assert.Equal(["restore", "test", "build-image", "push-image", "deploy"], steps);
        Assert.Contains("--file=functions/Dockerfile", Build, StringComparison.Ordinal);
        Assert.Contains("docker.pkg.dev/${PROJECT_ID}/${_REPOSITORY}/", Build, StringComparison.Ordinal);
    }

    [Fact]
    public void DefaultServices_AreTheServicesTerraformCreatesWithItsDefaultPrefix()
    {
        var config = TerraformConfig.Instance;
        var prefix = config.OfType("variable").Single(v => v.Labels[0] == "name_prefix").Attribute("default")?.Literal;
        Assert.NotNull(prefix);
        var service = config.Resources("google_cloud_run_v2_service").Single();
        Assert.Equal("${var.name_prefix}-${each.value.slug}", service.Attribute("name")?.Text);
        var slugs = config.Locals["functions"].Entries.Values
            .Select(f => f.Entries["slug"].Literal ?? throw new FormatException($"{f.Where}: slug is not a string"));

        var declared = ServicesDefault().Match(Build);
        Assert.True(declared.Success, "cloudbuild.yaml has no _SERVICES substitution");
        Assert.Equal(
            slugs.Select(slug => $"{prefix}-{slug}").Order(StringComparer.Ordinal),
            declared.Groups[1].Value.Split(' ', StringSplitOptions.RemoveEmptyEntries).Order(StringComparer.Ordinal));
    }

    [GeneratedRegex(@"^\s*- id: ([\w-]+)\s*$", RegexOptions.Multiline)]
    private static partial Regex StepId();

    [GeneratedRegex(@"^\s*_SERVICES: (.+)$", RegexOptions.Multiline)]
    private static partial Regex ServicesDefault();
}
