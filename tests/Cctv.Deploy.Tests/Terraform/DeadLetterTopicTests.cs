namespace Cctv.Deploy.Tests.Terraform;

/// <summary>
/// The finalize function records the events it refuses for good on the dead-letter topic before it answers 400
/// (functions/Finalize/PubSubDeadLetters.cs; without the record it answers 503): terraform must tell it the topic,
/// let its account (and only it, besides the Pub/Sub service agent that moves exhausted retry messages) publish there,
/// and keep what is published in a pull subscription an operator reads.
/// </summary>
public sealed class DeadLetterTopicTests
{
    private const string Topic = "google_pubsub_topic.dead_letter";
    private const string FinalizeAccount = "google_service_account.function[\"StagingObjectFinalized\"].member";
    private const string PubSubAgent = "local.pubsub_service_agent";

    private static TerraformConfig Config => TerraformConfig.Instance;

    /// <summary>Every IAM grant on the dead-letter topic.</summary>
    private static List<HclBlock> GrantsOnTheTopic() =>
        [.. Config.Resources(type => type.StartsWith("google_pubsub_topic_iam_", StringComparison.Ordinal))
            .Where(g => g.Attribute("topic")?.Expression is $"{Topic}.name" or $"{Topic}.id")];

    [Fact]
    public void TheFinalizeServicesAccount_MayPublishOnTheDeadLetterTopic()
    {
        var grant = GrantsOnTheTopic().SingleOrDefault(g => g.Attribute("member")?.Expression == FinalizeAccount);

        Assert.True(grant is not null, $"no google_pubsub_topic_iam_member grants {FinalizeAccount} on {Topic}: the finalize function could not record a refused event and would answer 503 to it until Eventarc gives up");
        Assert.Equal("google_pubsub_topic_iam_member", grant.Labels[0]); // additive: a binding or policy would drop the service agent's grant
        Assert.Equal("roles/pubsub.publisher", grant.Attribute("role")?.Literal);
        Assert.Null(grant.Attribute("for_each"));
    }

    [Fact]
    public void NobodyElse_PublishesOnTheDeadLetterTopic_ButThePubSubServiceAgent()
    {
        var grants = GrantsOnTheTopic();

        Assert.NotEmpty(grants);
        foreach (var grant in grants)
        {
            Assert.True(grant.Attribute("member")?.Expression is FinalizeAccount or PubSubAgent && grant.Attribute("for_each") is null,
                $"{grant.Where} grants {grant.Attribute("role")} on the dead-letter topic to {grant.Attribute("member")}");
        }
        Assert.Contains(grants, g => g.Attribute("member")?.Expression == PubSubAgent);
    }

    [Fact]
    public void EveryCloudRunService_IsToldTheDeadLetterTopic_NotTheRetryTopic()
    {
        var service = Config.Resource("google_cloud_run_v2_service", "function");
        Assert.NotNull(service);

        var env = service.Path("template", "containers", "env")
            .Where(e => e.Attribute("name")?.Literal == "CCTV_DEAD_LETTER_TOPIC")
            .Select(e => e.Attribute("value")?.Expression)
            .ToList();

        Assert.Equal([$"{Topic}.name"], env);
        Assert.Contains("StagingObjectFinalized", Config.ForEachKeys(service)!);
    }

    [Fact]
    public void TheDeadLetterTopic_IsKeptInAPullSubscription_ForSevenDays_ThatNeverExpires()
    {
        var subscription = Config.Resources("google_pubsub_subscription").SingleOrDefault(s => s.Attribute("topic")?.Expression == $"{Topic}.id");

        Assert.True(subscription is not null, $"no subscription reads {Topic}: a topic without one drops what is published on it");
        Assert.Empty(subscription.Children("push_config"));
        Assert.Equal("604800s", subscription.Attribute("message_retention_duration")?.Literal);
        Assert.Equal("", subscription.Path("expiration_policy").Single().Attribute("ttl")?.Literal);
        Assert.Equal("604800s", Config.Resource("google_pubsub_topic", "dead_letter")!.Attribute("message_retention_duration")?.Literal);
    }
}
