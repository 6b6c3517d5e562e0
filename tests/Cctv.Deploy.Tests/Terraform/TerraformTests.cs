using System.Text.Json;
using System.Text.RegularExpressions;
using Cctv.Deploy.Tests.Support;

namespace Cctv.Deploy.Tests.Terraform;

/// <summary>
/// What `terraform validate` cannot check here (the Google provider cannot be fetched), read from
/// the .tf files with HashiCorp's parser: the deployment matches what the code defines, and the security rules hold.
/// </summary>
public sealed partial class TerraformTests(ITestOutputHelper output)
{
    private const string CloudRunService = "google_cloud_run_v2_service";
    private static readonly string[] PrimitiveRoles = ["roles/owner", "roles/editor", "roles/viewer"];

    private static TerraformConfig Config => TerraformConfig.Instance;

    [Fact]
    public void EveryFunctionTarget_HasACloudRunServiceSettingIt()
    {
        var deployed = Services().SelectMany(s => s.Targets).ToList();

        Assert.Empty(Repo.FunctionTargets.Except(deployed));
        Assert.Empty(deployed.Except(Repo.FunctionTargets)); // a service for a target the code no longer has
        Assert.Equal(deployed.Distinct().Count(), deployed.Count);
    }

    [Fact]
    public void EveryCloudRunService_SetsEveryVariableTheFunctionsRead()
    {
        var required = Repo.FunctionEnvironment.Where(name => name != "PORT").ToList();

        foreach (var service in Services())
        {
            var names = service.Env.Select(e => e.Name).ToList();
            var missing = required.Except(names).ToList();
            Assert.True(missing.Count == 0, $"{service.Block.Where} does not set {string.Join(", ", missing)}");
            Assert.DoesNotContain("PORT", names); // Cloud Run sets PORT and refuses a service that sets it
            Assert.Equal(names.Distinct().Count(), names.Count);
        }
    }

    [Fact]
    public void EveryCloudRunService_RunsTheGcpBackend()
    {
        foreach (var service in Services())
        {
            var backend = service.Env.Single(e => e.Name == "CCTV_BACKEND");
            Assert.True(backend.Value?.Literal == "gcp", $"{service.Block.Where}: CCTV_BACKEND = {backend.Value}, expected \"gcp\"");
        }
    }

    [Fact]
    public void EveryCloudRunService_RunsAsItsOwnServiceAccount()
    {
        var accounts = new List<string>();
        foreach (var service in Services())
        {
            var account = service.Block.Path("template").Single().Attribute("service_account");
            Assert.False(account is null, $"{service.Block.Where} runs as the default compute service account");
            if (service.Block.Attribute("for_each") is { } forEach)
            {
                // One account per instance: an account resource with the same for_each, indexed by each.key.
                var match = AccountPerInstance().Match(account.Expression ?? "");
                Assert.True(match.Success, $"{service.Block.Where}: service_account = {account}, expected google_service_account.NAME[each.key].email");
                var accountResource = Config.Resource("google_service_account", match.Groups["name"].Value);
                Assert.NotNull(accountResource);
                Assert.Equal(forEach.ToString(), accountResource.Attribute("for_each")?.ToString());
            }

            accounts.Add(account.ToString());
        }

        Assert.Equal(accounts.Distinct().Count(), accounts.Count);
    }

    [Fact]
    public void EveryBucket_HasUniformAccessAndPublicAccessPrevention()
    {
        var buckets = Config.Resources("google_storage_bucket").ToList();
        Assert.NotEmpty(buckets);
        foreach (var bucket in buckets)
        {
            Assert.True(bucket.Attribute("uniform_bucket_level_access")?.IsTrue == true, $"{bucket.Where} lacks uniform_bucket_level_access = true");
            Assert.True(bucket.Attribute("public_access_prevention")?.Literal == "enforced", $"{bucket.Where} lacks public_access_prevention = \"enforced\"");
        }
    }

    [Fact]
    public void ArchiveBucket_LetsThePlayerPageReadThroughSignedLinks()
    {
        var archive = Config.Resource("google_storage_bucket", "archive");
        Assert.NotNull(archive);
        var cors = Assert.Single(archive.Children("cors"));
        Assert.Equal("local.archive_cors_origins", cors.Attribute("origin")?.Expression);
        Assert.Contains("GET", cors.Attribute("method")!.Items.Select(m => m.Literal));
        string storage = Repo.Read("terraform/storage.tf");
        Assert.Contains("local.functions[\"PlayerApi\"].slug", storage, StringComparison.Ordinal);
        Assert.Contains("var.cors_origins", storage, StringComparison.Ordinal);
    }

    [Fact]
    public void StagingAndArchiveBuckets_HaveTheirLifecycleRetentionAndSoftDelete()
    {
        var staging = Config.Resource("google_storage_bucket", "staging");
        var archive = Config.Resource("google_storage_bucket", "archive");
        Assert.NotNull(staging);
        Assert.NotNull(archive);

        var stagingDelete = staging.Children("lifecycle_rule")
            .Where(r => r.Path("action").Single().Attribute("type")?.Literal == "Delete")
            .Select(r => r.Path("condition").Single().Attribute("age")?.Expression)
            .ToList();
        Assert.Equal(["var.staging_delete_after_days"], stagingDelete);

        Assert.Single(archive.Children("soft_delete_policy"));
        var dynamicBlocks = archive.Children("dynamic").Select(d => d.Labels.Single()).ToList();
        Assert.Contains("retention_policy", dynamicBlocks);
        Assert.Contains("lifecycle_rule", dynamicBlocks);
        var storageClasses = archive.Children("dynamic").SelectMany(d => d.Path("content", "action"))
            .Select(a => a.Attribute("storage_class"))
            .OfType<HclValue>()
            .ToList();
        Assert.NotEmpty(storageClasses); // transitions to colder classes
    }

    [Fact]
    public void EveryPushSubscriptionAndSchedulerJob_AuthenticatesWithOidc()
    {
        var pushes = Config.Resources("google_pubsub_subscription").Where(s => s.Children("push_config").Any()).ToList();
        Assert.NotEmpty(pushes);
        foreach (var push in pushes)
        {
            var token = push.Path("push_config", "oidc_token").SingleOrDefault();
            Assert.True(token?.Attribute("service_account_email") is not null, $"{push.Where}: push_config without oidc_token.service_account_email");
            Assert.NotNull(token.Attribute("audience"));
        }

        var jobs = Config.Resources("google_cloud_scheduler_job").ToList();
        Assert.NotEmpty(jobs);
        foreach (var job in jobs)
        {
            var target = job.Children("http_target").SingleOrDefault();
            Assert.True(target is not null, $"{job.Where} has no http_target");
            var token = target.Children("oidc_token").SingleOrDefault();
            Assert.True(token?.Attribute("service_account_email") is not null, $"{job.Where}: http_target without oidc_token.service_account_email");
            Assert.NotNull(token.Attribute("audience"));
            Assert.Empty(target.Children("oauth_token"));
        }

        foreach (var trigger in Config.Resources("google_eventarc_trigger"))
        {
            Assert.True(trigger.Attribute("service_account") is not null, $"{trigger.Where} delivers without a service account (no OIDC token)");
        }
    }

    [Fact]
    public void EachEventSource_ReachesItsFunction()
    {
        var trigger = Assert.Single(Config.Resources("google_eventarc_trigger"));
        var criteria = trigger.Children("matching_criteria").ToDictionary(c => c.Attribute("attribute")!.Literal!, c => c.Attribute("value")!);
        Assert.Equal("google.cloud.storage.object.v1.finalized", criteria["type"].Literal);
        Assert.Equal("google_storage_bucket.staging.name", criteria["bucket"].Expression);
        AssertTargets(trigger.Path("destination", "cloud_run_service").Single().Attribute("service"), "StagingObjectFinalized", trigger);

        var push = Assert.Single(Config.Resources("google_pubsub_subscription"), s => s.Children("push_config").Any());
        AssertTargets(push.Path("push_config").Single().Attribute("push_endpoint"), "RetryHandler", push);
        Assert.NotNull(push.Path("dead_letter_policy").SingleOrDefault()?.Attribute("dead_letter_topic"));
        Assert.Single(push.Children("retry_policy"));

        foreach (var job in Config.Resources("google_cloud_scheduler_job"))
        {
            AssertTargets(job.Path("http_target").Single().Attribute("uri"), "ReconcileSweep", job);
        }
    }

    [Fact]
    public void NoServiceAccount_HoldsAPrimitiveRole()
    {
        var grants = Config.Resources(type => IamResource().IsMatch(type)).ToList();
        Assert.NotEmpty(grants);
        foreach (var grant in grants)
        {
            var role = grant.Attribute("role")?.Text ?? "";
            Assert.DoesNotContain(PrimitiveRoles, primitive => role.Contains(primitive, StringComparison.Ordinal));
        }

        // Roles also come from locals (each.value.role): no primitive role may appear anywhere, as a value or inside an expression.
        foreach (var value in Config.AllValues())
        {
            Assert.False(PrimitiveRoles.Any(r => value.Literal == r || (value.Text ?? "").Contains($"\"{r}\"", StringComparison.Ordinal)),
                $"{value.Where} names a primitive role: {value}");
        }
    }

    [Fact]
    public void Terraform_CreatesNoKey()
    {
        Assert.Empty(Config.Resources("google_service_account_key"));
        Assert.Empty(Config.Resources("google_storage_hmac_key"));
    }

    [Fact]
    public void TheEdge_CanOnlyCreateObjectsInStaging()
    {
        var edgeGrants = Config.Resources(type => IamResource().IsMatch(type))
            .Where(g => g.Attribute("member")?.References.Any(IsEdgeAccount) == true)
            .ToList();
        var bucketGrants = edgeGrants.Where(g => g.Labels[0] == "google_storage_bucket_iam_member").ToList();

        var staging = Assert.Single(bucketGrants);
        Assert.Equal("google_storage_bucket.staging.name", staging.Attribute("bucket")?.Expression);
        Assert.Equal("roles/storage.objectCreator", staging.Attribute("role")?.Literal);
        // Nor may any value (a whole local, a list, an object) name the edge's account and anything archive.
        Assert.DoesNotContain(Config.AllValues(), v =>
            v.ToString().Contains("google_service_account.edge", StringComparison.Ordinal) && v.ToString().Contains("archive", StringComparison.Ordinal));
    }

    [Fact]
    public void EveryVariableAndOutput_IsDescribed()
    {
        foreach (var block in Config.OfType("variable").Concat(Config.OfType("output")))
        {
            Assert.True(block.Attribute("description")?.Literal is { Length: > 10 }, $"{block.Where} has no description");
        }

        foreach (var variable in Config.OfType("variable").Where(v => v.Attribute("default") is null))
        {
            Assert.True(variable.Children("validation").Any(), $"{variable.Where} is required but has no validation");
        }
    }

    [Fact]
    public void EveryReference_NamesSomethingDeclared()
    {
        var variables = Config.OfType("variable").Select(v => v.Labels[0]).ToHashSet();
        var resources = Config.OfType("resource").Select(r => $"{r.Labels[0]}.{r.Labels[1]}").ToHashSet();
        var data = Config.OfType("data").Select(r => $"{r.Labels[0]}.{r.Labels[1]}").ToHashSet();
        // Inside a dynamic block its label names the current item (lifecycle_rule.value); no block renames it with `iterator`.
        var iterators = Config.AllValues().Where(v => v.Name == "dynamic" && v.Json.ValueKind == JsonValueKind.Object)
            .SelectMany(v => v.Entries.Keys)
            .ToHashSet();
        var problems = new List<string>();
        var checkedReferences = 0;
        foreach (var block in Config.Blocks)
        {
            // A variable's type constraint (string, list(object(...))) and lifecycle.ignore_changes (attribute
            // names) parse as references but name nothing.
            var values = block.AllValues().Where(v => !(block.Type == "variable" && v.Address == $"{block.Address}.type") && v.Name != "ignore_changes");
            foreach (var value in values)
            {
                foreach (var reference in value.References)
                {
                    checkedReferences++;
                    var steps = Steps(reference);
                    var problem = steps[0] switch
                    {
                        { Name: "var" } => variables.Contains(steps[1].Name) ? null : $"var.{steps[1].Name} is not declared",
                        { Name: "local" } => Config.Locals.ContainsKey(steps[1].Name) ? null : $"local.{steps[1].Name} is not declared",
                        { Name: "data" } => data.Contains($"{steps[1].Name}.{steps[2].Name}") ? null : $"data.{steps[1].Name}.{steps[2].Name} is not declared",
                        { Name: "each" or "count" or "path" or "self" or "terraform" } => null,
                        var root when iterators.Contains(root.Name) => null,
                        _ => ResourceProblem(steps, reference, resources),
                    };
                    if (problem is not null)
                    {
                        problems.Add($"{value.Where}: {problem}");
                    }
                }
            }
        }

        Assert.True(problems.Count == 0, string.Join('\n', problems));
        Assert.True(checkedReferences > 100, $"only {checkedReferences} references found: is the parser's reference list read?");
    }

    /// <summary>A resource reference names a declared resource and, indexed by a string, one of its for_each keys.</summary>
    private static string? ResourceProblem(IReadOnlyList<Step> steps, string reference, HashSet<string> resources)
    {
        if (steps.Count < 2 || !resources.Contains($"{steps[0].Name}.{steps[1].Name}"))
        {
            return $"{reference} names nothing declared";
        }

        if (steps.Count < 3 || !steps[2].IsKey)
        {
            return null;
        }

        var keys = Config.ForEachKeys(Config.Resource(steps[0].Name, steps[1].Name)!);
        return keys is null || keys.Contains(steps[2].Name) ? null : $"{steps[0].Name}.{steps[1].Name} has no instance \"{steps[2].Name}\"";
    }

    /// <summary>The steps of a reference as the parser writes it: <c>google_x.y."key".id</c> gives y and the key "key".</summary>
    private static List<Step> Steps(string reference) =>
        ReferenceStep().Matches(reference)
            .Select(m => m.Groups["key"].Success ? new Step(m.Groups["key"].Value, IsKey: true) : new Step(m.Groups["name"].Value, IsKey: false))
            .ToList();

    [Fact]
    public async Task TerraformFmt_FindsNothingToChange()
    {
        var terraform = Repo.OnPath("terraform");
        if (terraform is null)
        {
            const string reason = "terraform is not on PATH, so `terraform fmt -check -recursive terraform` did not run.";
            Assert.False(Repo.IsCi, reason + " CI=true requires it: install terraform on the CI machine.");
            output.WriteLine("NOT RUN: " + reason + " (set CI=true to make this a failure)");
            return;
        }

        var result = await ProcessRunner.RunAsync(
            terraform, ["fmt", "-check", "-recursive", "-diff", TerraformConfig.Folder], Repo.Root, TimeSpan.FromMinutes(1));
        Assert.True(result.ExitCode == 0, result.Describe("terraform fmt -check -recursive -diff terraform"));
    }

    /// <summary>The value refers to the Cloud Run service's instance for the target: <c>google_cloud_run_v2_service.NAME["Target"]</c>.</summary>
    private static void AssertTargets(HclValue? value, string target, HclBlock where)
    {
        var reaches = value?.References.Select(Steps).Any(steps =>
            steps.Count >= 3 && steps[0].Name == CloudRunService && steps[2] == new Step(target, IsKey: true)) == true;
        Assert.True(reaches, $"{where.Where} does not reach the {target} service: {value}");
    }

    private static bool IsEdgeAccount(string reference) =>
        Steps(reference) is [{ Name: "google_service_account" }, { Name: "edge" }, ..];

    private static List<DeployedService> Services()
    {
        var services = Config.Resources(CloudRunService).Select(DeployedService.Of).ToList();
        Assert.NotEmpty(services);
        return services;
    }

    [GeneratedRegex(@"^google_\w+_iam_(member|binding|policy)$")]
    private static partial Regex IamResource();

    [GeneratedRegex(@"^google_service_account\.(?<name>\w+)\[each\.key\]\.(email|member)$")]
    private static partial Regex AccountPerInstance();

    [GeneratedRegex(@"""(?<key>[^""]*)""|(?<name>[^.""]+)")]
    private static partial Regex ReferenceStep();

    /// <summary>A step of a reference: a name (<c>function</c>) or a string index (<c>"RetryHandler"</c>).</summary>
    private sealed record Step(string Name, bool IsKey);

    private sealed record EnvVar(string Name, HclValue? Value);

    /// <summary>A Cloud Run service resource: the targets it runs (one per instance) and its environment.</summary>
    private sealed record DeployedService(HclBlock Block, IReadOnlyList<string> Targets, IReadOnlyList<EnvVar> Env)
    {
        public static DeployedService Of(HclBlock block)
        {
            Assert.Empty(block.Path("template", "containers", "dynamic")); // env must be readable here
            var env = block.Path("template", "containers", "env")
                .Select(e => new EnvVar(
                    e.Attribute("name")?.Literal ?? throw new FormatException($"{e.Where}: env name {e.Attribute("name")} is not a string"),
                    e.Attribute("value")))
                .ToList();
            var target = env.SingleOrDefault(e => e.Name == "FUNCTION_TARGET");
            Assert.True(target is not null, $"{block.Where} does not set FUNCTION_TARGET");

            IReadOnlyList<string> targets;
            if (target.Value?.Literal is { } literal)
            {
                targets = [literal];
            }
            else
            {
                Assert.True(target.Value?.Expression == "each.key", $"{block.Where}: FUNCTION_TARGET = {target.Value}; use a string or each.key");
                targets = Config.ForEachKeys(block)?.ToList() ?? throw new FormatException($"{block.Where}: each.key without for_each");
            }

            return new DeployedService(block, targets, env);
        }
    }
}
