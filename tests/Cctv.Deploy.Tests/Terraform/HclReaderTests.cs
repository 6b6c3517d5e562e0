namespace Cctv.Deploy.Tests.Terraform;

/// <summary>The HCL reader on the shapes our .tf files use; the terraform checks rely on it.</summary>
public sealed class HclReaderTests
{
    [Fact]
    public void Parse_ReadsBlocksLabelsAttributesAndNestedBlocks()
    {
        var file = HclReader.Parse(
            """
            # a comment
            resource "google_storage_bucket" "staging" {
              name     = "${var.project_id}-staging" // trailing comment
              location = var.region
              /* block
                 comment */
              lifecycle_rule {
                action {
                  type = "Delete"
                }
              }
              lifecycle { ignore_changes = [labels] }
            }
            """,
            "test.tf");

        var bucket = Assert.Single(file.Blocks);
        Assert.Equal("resource", bucket.Type);
        Assert.Equal(["google_storage_bucket", "staging"], bucket.Labels);
        Assert.Equal("\"${var.project_id}-staging\"", bucket.Attribute("name"));
        Assert.Equal("var.region", bucket.Attribute("location"));
        Assert.Equal("\"Delete\"", bucket.Path("lifecycle_rule", "action").Single().Attribute("type"));
        Assert.Equal("[labels]", bucket.Path("lifecycle").Single().Attribute("ignore_changes"));
    }

    [Fact]
    public void Parse_KeepsMultiLineExpressionsStringsWithBracesAndHeredocsWhole()
    {
        var file = HclReader.Parse(
            """
            locals {
              functions = {
                A = { slug = "a" } # one
                B = {
                  slug = "b}"
                }
              }
              text = <<-EOT
                not = an attribute
                EOT
              joined = "${join(",", ["x", "}"])}"
              after = 1
            }
            """,
            "test.tf");

        var locals = Assert.Single(file.Blocks);
        Assert.Equal(["functions", "text", "joined", "after"], locals.Attributes.Select(a => a.Name));
        Assert.Equal(["A", "B"], HclExpression.ObjectEntries(locals.Attribute("functions")!).Keys);
        Assert.Equal("{ slug = \"a\" }", HclExpression.ObjectEntries(locals.Attribute("functions")!)["A"]);
        Assert.Equal("\"${join(\",\", [\"x\", \"}\"])}\"", locals.Attribute("joined"));
        Assert.Equal(12, locals.Attributes.Single(a => a.Name == "after").Line);
    }

    [Fact]
    public void Parse_UnclosedBlock_FailsWithTheLine()
    {
        var error = Assert.Throws<FormatException>(() => HclReader.Parse("variable \"x\" {\n  type = string\n", "bad.tf"));

        Assert.Contains("bad.tf", error.Message, StringComparison.Ordinal);
        Assert.Contains("unclosed block", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("\"gcp\"", true, "gcp")]
    [InlineData("\"a\\\"b\"", true, "a\"b")]
    [InlineData("\"${var.x}\"", false, "")]
    [InlineData("var.x", false, "")]
    [InlineData("\"a\" == \"b\"", false, "")]
    public void TryString_ReadsOnlyPlainStringLiterals(string expression, bool isString, string value)
    {
        Assert.Equal(isString, HclExpression.TryString(expression, out var read));
        Assert.Equal(value, read);
    }
}
