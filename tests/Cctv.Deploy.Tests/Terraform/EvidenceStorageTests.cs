using System.Text.RegularExpressions;

namespace Cctv.Deploy.Tests.Terraform;

/// <summary>
/// What evidence-grade footage asks of the deployment: object retention for the archive offered (off by default), the
/// sweep allowed to place legal holds on archived objects and nothing more, and the player API allowed to write the
/// audit of reads it records before answering.
/// </summary>
public sealed partial class EvidenceStorageTests
{
    private static TerraformConfig Config => TerraformConfig.Instance;

    [GeneratedRegex("\"fn-PlayerApi\"\\s*=\\s*\\{[^}]*role\\s*=\\s*\"roles/datastore\\.user\"")]
    private static partial Regex PlayerApiWritesFirestore();

    [Fact]
    public void ArchiveObjectRetention_IsAVariableOfTheArchiveBucket_OffByDefault_ThatSaysWhy()
    {
        var variable = Config.OfType("variable").SingleOrDefault(v => v.Labels.SequenceEqual(["archive_object_retention"]));
        var archive = Config.Resource("google_storage_bucket", "archive");

        Assert.NotNull(variable);
        Assert.True(variable.Attribute("default")?.IsFalse, "archive_object_retention must default to false");
        Assert.Equal("bool", variable.Attribute("type")?.Expression ?? variable.Attribute("type")?.Text);
        Assert.Contains("cannot be undone", variable.Attribute("description")?.Text);
        Assert.Equal("var.archive_object_retention", archive?.Attribute("enable_object_retention")?.Expression);
    }

    [Fact]
    public void TheSweep_MayUpdateArchiveObjectsToHoldThem_AndThatRoleGrantsNothingElse()
    {
        var role = Config.Resource("google_project_iam_custom_role", "archive_legal_hold");
        var binding = Config.Resource("google_storage_bucket_iam_member", "archive_legal_hold");

        Assert.NotNull(role);
        Assert.Equal(["storage.objects.update"], role.Attribute("permissions")!.Items.Select(p => p.Text));
        Assert.NotNull(binding);
        Assert.Equal("google_storage_bucket.archive.name", binding.Attribute("bucket")?.Expression);
        Assert.Equal("google_project_iam_custom_role.archive_legal_hold.name", binding.Attribute("role")?.Expression);
        Assert.Contains("ReconcileSweep", binding.Attribute("member")?.Expression);
    }

    [Fact]
    public void ThePlayerApi_MayWriteTheCatalog_ForTheAuditOfReads()
    {
        string grants = Config.Locals["datastore_grants"].Text ?? "";

        Assert.Matches(PlayerApiWritesFirestore(), grants);
    }
}
