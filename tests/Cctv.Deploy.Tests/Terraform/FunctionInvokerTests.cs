namespace Cctv.Deploy.Tests.Terraform;

/// <summary>
/// Every function that moves recordings is authenticated on gcp, by one of two checks and never by neither: the
/// function verifies its caller's OIDC token itself (the retry and sweep functions: TokenGuard in
/// functions/Hosting/FunctionsHost.cs), or Cloud Run's invoker IAM check does (the finalize function, which Eventarc
/// calls), in which case terraform must keep that check on, keep the service internal and grant no public invoker.
/// </summary>
public sealed class FunctionInvokerTests
{
    /// <summary>The targets whose code verifies the caller's OIDC token (MapGcpFunctions wraps them in TokenGuard.RequireInvoker).</summary>
    private static readonly string[] VerifiedByTheFunction = ["RetryHandler", "ReconcileSweep"];

    private static readonly string[] Public = ["\"allUsers\"", "\"allAuthenticatedUsers\""];

    private static TerraformConfig Config => TerraformConfig.Instance;

    private static Dictionary<string, IReadOnlyDictionary<string, string>> Functions() =>
        HclExpression.ObjectEntries(Config.Locals["functions"]).ToDictionary(e => e.Key, e => HclExpression.ObjectEntries(e.Value));

    [Fact]
    public void CloudRunsInvokerCheck_IsOffOnlyWhereTheFunctionVerifiesTokensItself()
    {
        var service = Config.Resource("google_cloud_run_v2_service", "function");
        Assert.NotNull(service);
        Assert.Equal("each.value.verifies_tokens", service.Attribute("invoker_iam_disabled"));

        foreach ((string target, var function) in Functions())
        {
            if (function["verifies_tokens"] == "true")
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

        Assert.Equal("false", finalize["verifies_tokens"]);
        Assert.Equal("false", finalize["public"]);
        var service = Config.Resource("google_cloud_run_v2_service", "function")!;
        Assert.Equal("each.value.public ? \"INGRESS_TRAFFIC_ALL\" : \"INGRESS_TRAFFIC_INTERNAL_ONLY\"", service.Attribute("ingress"));
        var invokers = HclExpression.ObjectEntries(Config.Locals["invokers"]);
        Assert.Equal("[google_service_account.eventarc.email]", invokers["StagingObjectFinalized"]);
    }

    [Fact]
    public void EveryPipelineFunction_IsInternal_AndNoPublicPrincipalMayInvokeIt()
    {
        foreach ((string target, var function) in Functions().Where(f => f.Value["pipeline"] == "true"))
        {
            Assert.True(function["public"] == "false", $"local.functions.{target} moves recordings but is public");
        }

        // allUsers / allAuthenticatedUsers appear only as the player API's invoker (which checks users' ID tokens itself).
        foreach (var attribute in Config.Files.SelectMany(f => f.AllAttributes()))
        {
            foreach (string line in attribute.Expression.Split('\n').Where(l => Public.Any(p => l.Contains(p, StringComparison.Ordinal))))
            {
                Assert.True(attribute.Name == "run_invokers" && line.TrimStart().StartsWith("{ PlayerApi =", StringComparison.Ordinal),
                    $"{Path.GetFileName(attribute.File)}:{attribute.Line} grants a public principal outside the player API: {line.Trim()}");
            }
        }
    }
}
