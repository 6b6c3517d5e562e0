using System.Globalization;
using System.Text.Json;

namespace Cctv.Deploy.Tests.Terraform;

/// <summary>
/// Terraform follows the capacity model (docs/capacity.md, local.capacity in terraform/main.tf): the finalize service
/// can take the peak event rate of the largest deployment within its instances' CPU, an instance takes no more requests
/// than its CPU finishes (so Cloud Run scales out instead of queueing on a busy CPU), and the Pub/Sub retry path's
/// deadlines and back-off fit the services they push to.
/// </summary>
public sealed class CapacityTests
{
    private static TerraformConfig Config => TerraformConfig.Instance;

    private static double Capacity(string name)
    {
        var value = Config.Locals["capacity"].Entries[name].Json;
        Assert.True(value.ValueKind == JsonValueKind.Number, $"local.capacity.{name} must be a number literal, not {value}");
        return value.GetDouble();
    }

    private static double Function(string target, string name) => Config.Locals["functions"].Entries[target].Entries[name].Json.GetDouble();

    private static double Seconds(string duration)
    {
        Assert.EndsWith("s", duration);
        return double.Parse(duration[..^1], CultureInfo.InvariantCulture);
    }

    /// <summary>Events per second at the largest size while the edge drains a backlog.</summary>
    private static double PeakEventsPerSecond => Capacity("cameras") / Capacity("segment_seconds") * Capacity("catch_up_factor");

    private static double CpuSecondsPerEvent => Capacity("finalize_cpu_ms_per_event") / 1000;

    private static double WallSecondsPerEvent => Capacity("finalize_wall_ms_per_event") / 1000;

    [Fact]
    public void TheFinalizeService_HasTheInstancesThePeakEventRateNeeds()
    {
        double vcpu = PeakEventsPerSecond * CpuSecondsPerEvent / Capacity("target_cpu_utilization");
        double inFlight = PeakEventsPerSecond * WallSecondsPerEvent;
        double maxInstances = Function("StagingObjectFinalized", "max_instances");
        double concurrency = Function("StagingObjectFinalized", "concurrency");

        Assert.True(maxInstances >= Math.Ceiling(vcpu),
            $"the finalize service may scale to {maxInstances} instances of 1 vCPU, but {PeakEventsPerSecond:0} events/s at {CpuSecondsPerEvent * 1000} ms CPU each need {vcpu:0.0} vCPU at {Capacity("target_cpu_utilization"):P0} utilization");
        Assert.True(maxInstances * concurrency >= inFlight,
            $"{maxInstances} instances x {concurrency} requests hold fewer than the {inFlight:0} events in flight at {PeakEventsPerSecond:0}/s");
    }

    [Theory]
    [InlineData("StagingObjectFinalized")]
    [InlineData("RetryHandler")]
    public void AnEventService_TakesNoMoreRequestsThanOneInstancesCpuFinishes(string target)
    {
        // At the target utilization one 1-vCPU instance finishes util / cpu events per second, each holding a slot for the wall time.
        double perInstance = Capacity("target_cpu_utilization") / CpuSecondsPerEvent * WallSecondsPerEvent;
        double concurrency = Function(target, "concurrency");

        Assert.InRange(concurrency, 1, Math.Ceiling(perInstance));
        Assert.True(Function(target, "max_instances") >= 1);
    }

    [Fact]
    public void TheSweep_RunsOneAtATime()
    {
        Assert.Equal(1, Function("ReconcileSweep", "max_instances"));
        Assert.Equal(1, Function("ReconcileSweep", "concurrency"));
    }

    [Fact]
    public void TheRetrySubscription_WaitsForTheHandlersTimeout_BacksOff_AndDeadLetters()
    {
        var push = Config.Resource("google_pubsub_subscription", "retry_push");
        Assert.NotNull(push);

        // Pub/Sub re-pushes a message whose ack deadline passes: no sooner than the handler may still be working on it (and 600 s is Pub/Sub's most).
        double ack = push.Attribute("ack_deadline_seconds")!.Json.GetDouble();
        string timeout = Config.Locals["functions"].Entries["RetryHandler"].Entries["timeout"].Literal!;
        Assert.True(ack >= Seconds(timeout) && ack <= 600, $"ack_deadline_seconds {ack} must cover the RetryHandler's timeout {timeout} and be at most 600");

        var retry = Assert.Single(push.Children("retry_policy"));
        Assert.Equal("${var.retry_min_backoff_seconds}s", retry.Attribute("minimum_backoff")?.Text);
        Assert.Equal("${var.retry_max_backoff_seconds}s", retry.Attribute("maximum_backoff")?.Text);
        double min = Default("retry_min_backoff_seconds"), max = Default("retry_max_backoff_seconds");
        Assert.True(min is >= 0 and <= 600 && max is >= 0 and <= 600 && min <= max, $"back-off {min}..{max} s must lie within Pub/Sub's 0..600 s, minimum first");

        var deadLetter = Assert.Single(push.Children("dead_letter_policy"));
        Assert.Equal("google_pubsub_topic.dead_letter.id", deadLetter.Attribute("dead_letter_topic")?.Expression);
        Assert.Equal("var.retry_max_delivery_attempts", deadLetter.Attribute("max_delivery_attempts")?.Expression);
        Assert.InRange(Default("retry_max_delivery_attempts"), 5, 100); // Pub/Sub's bounds
    }

    [Fact]
    public void TheEventarcSubscription_IsNamedForTheOperator()
    {
        // Its retry policy is Eventarc's (terraform cannot set it): the output names it and says how to add dead letters.
        var output = Config.OfType("output").SingleOrDefault(o => o.Labels[0] == "eventarc_subscription");

        Assert.True(output is not null, "no output names the Eventarc trigger's Pub/Sub subscription");
        Assert.Equal("google_eventarc_trigger.staging_finalized.transport[0].pubsub[0].subscription", output.Attribute("value")?.Expression);
        Assert.Contains("--dead-letter-topic", output.Attribute("description")?.Literal);
    }

    private static double Default(string variable)
    {
        var block = Config.OfType("variable").Single(v => v.Labels[0] == variable);
        return block.Attribute("default")!.Json.GetDouble();
    }
}
