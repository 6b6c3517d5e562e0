using Cctv.Functions.Gcp;
using Cctv.Functions.Hosting;

namespace Cctv.Functions.Tests.Gcp;

/// <summary>The gcp backend's settings, read from the variables terraform sets; a bad or missing one names itself.</summary>
public sealed class GcpFunctionsSettingsTests
{
    private static Dictionary<string, string> Deployed() => new()
    {
        [FunctionEnvironment.ProjectId] = "cctv-prod",
        [FunctionEnvironment.StagingBucket] = "cctv-prod-staging",
        [FunctionEnvironment.ArchiveBucket] = "cctv-prod-archive",
        [FunctionEnvironment.FirestoreDatabase] = "(default)",
        [FunctionEnvironment.RetryTopic] = "cctv-retry",
        [FunctionEnvironment.DeadLetterTopic] = "cctv-retry-dead-letter",
        [FunctionEnvironment.OidcAudience] = "cctv-functions.cctv-prod",
        [FunctionEnvironment.InvokerServiceAccounts] = "a@cctv-prod.iam.gserviceaccount.com, b@cctv-prod.iam.gserviceaccount.com",
        [FunctionEnvironment.UserTokenAudiences] = "client-1,client-2",
        [FunctionEnvironment.SignedUrlMinutes] = "60",
        [FunctionEnvironment.StagingSlaMinutes] = "45",
        [FunctionEnvironment.RecorderOfflineMinutes] = "15",
        [FunctionEnvironment.SalvageAfterMinutes] = "3",
        [FunctionEnvironment.RetentionDays] = "30,r1~gate=90",
    };

    private static GcpFunctionsSettings Read(Dictionary<string, string> env, string? target = null) =>
        GcpFunctionsSettings.FromEnvironment(name => env.GetValueOrDefault(name), target);

    [Fact]
    public void TheDeployedVariables_AreReadIntoTypedSettings()
    {
        Dictionary<string, string> env = Deployed();
        env["FIRESTORE_EMULATOR_HOST"] = "127.0.0.1:8085";
        env["STORAGE_EMULATOR_HOST"] = "localhost:9023";

        GcpFunctionsSettings s = Read(env);

        Assert.Equal(("cctv-prod", "cctv-prod-staging", "cctv-prod-archive", "cctv-retry", "cctv-retry-dead-letter"),
            (s.ProjectId, s.StagingBucket, s.ArchiveBucket, s.RetryTopic, s.DeadLetterTopic));
        Assert.Equal(["a@cctv-prod.iam.gserviceaccount.com", "b@cctv-prod.iam.gserviceaccount.com"], s.InvokerServiceAccounts);
        Assert.Equal(["client-1", "client-2"], s.UserTokenAudiences);
        Assert.Equal((TimeSpan.FromMinutes(60), TimeSpan.FromMinutes(45), TimeSpan.FromMinutes(15), TimeSpan.FromMinutes(3)),
            (s.SignedUrlLifetime, s.Sweep.StagingSla, s.Sweep.RecorderOfflineAfter, s.Sweep.SalvageAfter));
        Assert.Equal((TimeSpan?)TimeSpan.FromDays(90), s.Sweep.Retention.For(new Cctv.Shared.Domain.CameraKey("r1", "gate")));
        Assert.Equal(("127.0.0.1:8085", new Uri("http://localhost:9023/")), (s.FirestoreEmulatorHost, s.StorageEndpoint));
        Assert.Null(s.TokenCertificatesUrl); // always Google's keys when deployed
    }

    [Theory]
    [InlineData(FunctionEnvironment.ProjectId, null)]
    [InlineData(FunctionEnvironment.StagingBucket, null)]
    [InlineData(FunctionEnvironment.RetryTopic, FunctionTargets.StagingObjectFinalized)]
    [InlineData(FunctionEnvironment.DeadLetterTopic, FunctionTargets.StagingObjectFinalized)]
    [InlineData(FunctionEnvironment.DeadLetterTopic, null)]
    [InlineData(FunctionEnvironment.OidcAudience, FunctionTargets.RetryHandler)]
    [InlineData(FunctionEnvironment.InvokerServiceAccounts, FunctionTargets.ReconcileSweep)]
    public void AVariableTheTargetNeeds_WhenMissing_IsNamedInTheError(string variable, string? target)
    {
        Dictionary<string, string> env = Deployed();
        env.Remove(variable);

        FunctionConfigurationException e = Assert.Throws<FunctionConfigurationException>(() => Read(env, target));

        Assert.StartsWith(variable + " is", e.Message);
    }

    [Fact]
    public void ThePlayerApi_NeedsNeitherTheRetryTopicNorInvokers()
    {
        Dictionary<string, string> env = Deployed();
        env.Remove(FunctionEnvironment.RetryTopic);
        env.Remove(FunctionEnvironment.DeadLetterTopic);
        env.Remove(FunctionEnvironment.InvokerServiceAccounts);
        env.Remove(FunctionEnvironment.OidcAudience);

        GcpFunctionsSettings s = Read(env, FunctionTargets.PlayerApi);

        Assert.Null(s.RetryTopic);
        Assert.Null(s.DeadLetterTopic);
    }

    [Fact]
    public void TheDeadLetterTopic_MayNotBeTheRetryTopic_AndTheErrorNamesBothVariables()
    {
        Dictionary<string, string> env = Deployed();
        env[FunctionEnvironment.DeadLetterTopic] = env[FunctionEnvironment.RetryTopic];

        FunctionConfigurationException e = Assert.Throws<FunctionConfigurationException>(() => Read(env, FunctionTargets.StagingObjectFinalized));

        Assert.StartsWith($"{FunctionEnvironment.DeadLetterTopic} names the retry topic ({FunctionEnvironment.RetryTopic})", e.Message);
    }

    [Fact]
    public void AFullTopicName_IsAccepted()
    {
        Dictionary<string, string> env = Deployed();
        env[FunctionEnvironment.DeadLetterTopic] = "projects/cctv-prod/topics/cctv-retry-dead-letter";

        Assert.Equal("projects/cctv-prod/topics/cctv-retry-dead-letter", Read(env).DeadLetterTopic);
    }

    [Theory]
    [InlineData(FunctionEnvironment.RetentionDays, "thirty")]
    [InlineData(FunctionEnvironment.SignedUrlMinutes, "0")]
    [InlineData(FunctionEnvironment.StagingSlaMinutes, "half an hour")]
    [InlineData(FunctionEnvironment.FirestoreDatabase, "Catalog_DB")]
    [InlineData(FunctionEnvironment.ProjectId, "My Project")]
    [InlineData(FunctionEnvironment.DeadLetterTopic, "dead letters")]
    [InlineData(FunctionEnvironment.DeadLetterTopic, "goog-dead-letter")]
    [InlineData(FunctionEnvironment.RetryTopic, "9retry")]
    public void AValueThatCannotBeUsed_IsNamedWithItsVariable(string variable, string value)
    {
        Dictionary<string, string> env = Deployed();
        env[variable] = value;

        FunctionConfigurationException e = Assert.Throws<FunctionConfigurationException>(() => Read(env));

        Assert.StartsWith($"{variable} is '{value}'", e.Message);
    }
}
