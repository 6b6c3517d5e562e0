using Cctv.TestSupport;

namespace Cctv.Deploy.Tests.Terraform;

/// <summary>The wrapper around HashiCorp's parser on the shapes our .tf files use; the terraform checks rely on it.</summary>
public sealed class Hcl2JsonTests
{
    private const string Sample =
        """
        # a comment
        resource "google_storage_bucket" "staging" {
          name     = "${var.project_id}-staging" // trailing comment
          location = var.region
          literal  = "$${not} an interpolation"
          enabled  = true
          /* block
             comment */
          lifecycle_rule {
            action {
              type = "Delete"
            }
          }
          lifecycle_rule {
            action { type = "SetStorageClass" }
          }
          dynamic "retention_policy" {
            for_each = var.days > 0 ? [var.days] : []
            content {
              retention_period = retention_policy.value * 86400
            }
          }
          labels = { component = "staging", owner = var.owner }
        }

        locals {
          functions = {
            A = { slug = "a}" } # one
            B = {
              slug = "b"
            }
          }
          names  = [for target, f in local.functions : f.slug]
          joined = "${join(",", ["x", "}"])}"
          uri    = "${google_cloud_run_v2_service.function["B"].uri}/path"
        }
        """;

    private static readonly Lazy<HclFile> LazySample = new(() =>
    {
        using var dir = new TempDir("hcl2json");
        File.WriteAllText(dir.Combine("sample.tf"), Sample);
        return Assert.Single(Hcl2Json.Read([dir.Combine("sample.tf")]));
    });

    private static HclFile Parsed => LazySample.Value;

    private static HclBlock Bucket => Parsed.Blocks.Single(b => b.Type == "resource");

    private static Dictionary<string, HclValue> Locals => Parsed.Blocks.Single(b => b.Type == "locals").Entries().ToDictionary(e => e.Name);

    [Fact]
    public void Read_GivesBlocksWithTheirLabelsAndNestedBlocksInOrder()
    {
        Assert.Equal(["locals", "resource"], Parsed.Blocks.Select(b => b.Type).Order());
        Assert.Equal(["google_storage_bucket", "staging"], Bucket.Labels);
        Assert.Equal("resource.google_storage_bucket.staging", Bucket.Address);
        Assert.Equal(["Delete", "SetStorageClass"], Bucket.Path("lifecycle_rule", "action").Select(a => a.Attribute("type")?.Literal));
        Assert.Equal("resource.google_storage_bucket.staging.lifecycle_rule[1].action[0]", Bucket.Path("lifecycle_rule", "action").Last().Address);
        var dynamic = Assert.Single(Bucket.Children("dynamic"));
        Assert.Equal(["retention_policy"], dynamic.Labels);
        Assert.Equal("retention_policy.value * 86400", dynamic.Path("content").Single().Attribute("retention_period")?.Expression);
        Assert.Empty(Bucket.Children("cors"));
        Assert.Null(Bucket.Attribute("cors"));
    }

    [Fact]
    public void Values_TellLiteralsWholeExpressionsAndTemplatesApart()
    {
        Assert.Equal("${not} an interpolation", Bucket.Attribute("literal")?.Literal);
        Assert.Null(Bucket.Attribute("literal")?.Expression);

        var location = Bucket.Attribute("location")!;
        Assert.Equal("var.region", location.Expression);
        Assert.Null(location.Literal);

        var name = Bucket.Attribute("name")!;
        Assert.Null(name.Expression); // a template, not one expression
        Assert.Null(name.Literal);
        Assert.Equal("${var.project_id}-staging", name.Text);

        Assert.True(Bucket.Attribute("enabled")!.IsTrue);
        Assert.False(Bucket.Attribute("enabled")!.IsFalse);
        var labels = Bucket.Attribute("labels")!.Entries;
        Assert.Equal("staging", labels["component"].Literal);
        Assert.Equal("var.owner", labels["owner"].Expression);
        Assert.Equal("resource.google_storage_bucket.staging.labels.owner", labels["owner"].Address);
    }

    [Fact]
    public void Values_KeepNestedObjectsAndStringsWithBracesWhole()
    {
        var functions = Locals["functions"].Entries;
        Assert.Equal(["A", "B"], functions.Keys.Order());
        Assert.Equal("a}", functions["A"].Entries["slug"].Literal);
        Assert.Equal("join(\",\", [\"x\", \"}\"])", Locals["joined"].Expression);
        Assert.Equal("${join(\",\", [\"x\", \"}\"])}", Locals["joined"].Text);
    }

    [Fact]
    public void References_AreWhatTheParserFinds_WithStringIndexesQuoted()
    {
        Assert.Equal(["var.project_id"], Bucket.Attribute("name")!.References);
        Assert.Equal(["google_cloud_run_v2_service.function.\"B\".uri"], Locals["uri"].References);
        Assert.Equal(["local.functions"], Locals["names"].References); // target and f are the for expression's own
        Assert.Empty(Bucket.Attribute("literal")!.References);
        Assert.Contains(Parsed.AllValues(), v => v.References.Contains("var.owner")); // nested values are walked
    }

    [Fact]
    public void Children_OfAnAttribute_FailInsteadOfGuessing()
    {
        var error = Assert.Throws<FormatException>(() => Bucket.Children("labels").ToList());

        Assert.Contains("labels in sample.tf is not a block", error.Message, StringComparison.Ordinal);
        Assert.Throws<FormatException>(() => Bucket.Attribute("location")!.Entries);
    }

    [Fact]
    public void Read_UnclosedBlock_FailsWithTheParsersMessageNamingTheFileAndLine()
    {
        using var dir = new TempDir("hcl2json");
        File.WriteAllText(dir.Combine("bad.tf"), "variable \"x\" {\n  type = string\n");

        var error = Assert.Throws<FormatException>(() => Hcl2Json.Read([dir.Combine("bad.tf")]));

        Assert.Contains("bad.tf:1,", error.Message, StringComparison.Ordinal);
        Assert.Contains("Unclosed configuration block", error.Message, StringComparison.Ordinal);
    }
}
