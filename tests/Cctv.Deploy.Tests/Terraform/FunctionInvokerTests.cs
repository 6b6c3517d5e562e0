namespace Cctv.Deploy.Tests.Terraform;

/// <summary>
/// Every function that moves recordings is authenticated on gcp, by one of two checks and never by neither: the
/// function verifies its caller's OIDC token itself (the retry and sweep functions: TokenGuard through
/// GcpFunctionsBackend.RequireCaller in functions/Hosting/FunctionsBackend.cs), or Cloud Run's invoker IAM check does (the finalize function, which Eventarc
/// calls), in which case terraform must keep that check on, keep the service internal and grant no public invoker.
/// </summary>
public sealed class FunctionInvokerTests
{
    /// <summary>The targets whose code verifies the caller's OIDC token (GcpFunctionsBackend.RequireCaller wraps them in TokenGuard.RequireInvoker).</summary>
    private static readonly string[] VerifiedByTheFunction = ["RetryHandler", "ReconcileSweep"];

    private static readonly string[] Public = ["allUsers", "allAuthenticatedUsers"];

    private static TerraformConfig Config => TerraformConfig.Instance;

    private static Dictionary<string, IReadOnlyDictionary<string, HclValue>> Functions() =>
        Config.Locals["functions"].Entries.ToDictionary(e => e.Key, e => e.Value.Entries);

    [Fact]
    public void CloudRunsInvokerCheck_IsOffOnlyWhereTheFunctionVerifiesTokensItself()
    {
        var service = Config.Resource("google_cloud_run_v2_service", "function");
        Assert.NotNull(service);
        Assert.Equal("each.value.verifies_tokens", service.Attribute("invoker_iam_disabled")?.Expression);

        foreach ((string target, var function) in Functions())
        {
            if (function["verifies_tokens"].IsTrue)
            {
                Assert.True(VerifiedByTheFunction.Contains(target),
                    $"local.functions.{target} turns Cloud Run's invoker check off (verifies_tokens = true), but the function does not verify its caller's token: it would answer anyone");
            }
        }
    }

    [Fact]
    public void TheFinalizeService_KeepsTheInvokerCheck_IsInternal_AndOnlyEventarcMayInvokeIt()
    {
        var finalize = Functions()["StagingObjectFinalized"];

        Assert.True(finalize["verifies_tokens"].IsFalse, $"{finalize["verifies_tokens"].Where} = {finalize["verifies_tokens"]}: Cloud Run's invoker check must stay on");
        Assert.True(finalize["public"].IsFalse, $"{finalize["public"].Where} = {finalize["public"]}: the finalize service must stay internal");
        var service = Config.Resource("google_cloud_run_v2_service", "function")!;
        Assert.Equal("each.value.public ? \"INGRESS_TRAFFIC_ALL\" : \"INGRESS_TRAFFIC_INTERNAL_ONLY\"", service.Attribute("ingress")?.Expression);
        var invokers = Config.Locals["invokers"].Entries;
        Assert.Equal(["google_service_account.eventarc.email"], invokers["StagingObjectFinalized"].Items.Select(i => i.Expression));
    }

    [Fact]
    public void EveryPipelineFunction_IsInternal_AndNoPublicPrincipalMayInvokeIt()
    {
        foreach ((string target, var function) in Functions().Where(f => f.Value["pipeline"].IsTrue))
        {
            Assert.True(function["public"].IsFalse, $"local.functions.{target} moves recordings but is public");
        }

        // allUsers / allAuthenticatedUsers appear only as the player API's invoker (which checks users' ID tokens itself):
        // never as a value, and inside an expression only on local.run_invokers' PlayerApi line.
        foreach (var value in Config.AllValues())
        {
            Assert.False(Public.Contains(value.Literal), $"{value.Where} grants a public principal: {value}");
            var lines = (value.Expression ?? value.Text ?? "").Split('\n');
            foreach (string line in lines.Where(l => Public.Any(p => l.Contains($"\"{p}\"", StringComparison.Ordinal))))
            {
                Assert.True(value.Address == "locals.run_invokers" && line.TrimStart().StartsWith("{ PlayerApi =", StringComparison.Ordinal),
                    $"{value.Where} grants a public principal outside the player API: {line.Trim()}");
            }
        }
    }
}
