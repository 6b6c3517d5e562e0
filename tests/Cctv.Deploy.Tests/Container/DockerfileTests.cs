using Cctv.Deploy.Tests.Support;

namespace Cctv.Deploy.Tests.Container;

/// <summary>
/// functions/Dockerfile, read as text: no container engine runs here. The image itself is built by
/// cloudbuild.yaml; <see cref="PublishedFunctionsTests"/> runs what the image runs.
/// </summary>
public sealed class DockerfileTests
{
    private const string FunctionsProject = "functions/Cctv.Functions.csproj";
    private static readonly string[] RootUsers = ["root", "0", "0:0", "root:root", "root:0", "0:root"];

    private static Dockerfile Image => Dockerfile.Parse(Repo.Read("functions/Dockerfile"));

    [Fact]
    public void Image_BuildsWithTheSdkAndRunsOnTheAspNetRuntime()
    {
        var image = Image;

        Assert.True(image.Stages.Count >= 2, "a multi-stage build keeps the SDK out of the image");
        Assert.StartsWith("mcr.microsoft.com/dotnet/sdk:10.0", image.Stages[0].Image, StringComparison.Ordinal);
        Assert.StartsWith("mcr.microsoft.com/dotnet/aspnet:10.0", image.Final.Image, StringComparison.Ordinal);
        Assert.Contains(image.Final.All("COPY"), c => c.Arguments.Contains($"--from={image.Stages[0].Name}", StringComparison.Ordinal));
        Assert.Contains(image.Stages[0].All("RUN"), r => r.Arguments.Contains("dotnet publish", StringComparison.Ordinal) && r.Arguments.Contains(FunctionsProject, StringComparison.Ordinal));
    }

    [Fact]
    public void FinalStage_RunsAsNonRoot()
    {
        var user = Image.Final.Last("USER");

        Assert.True(user is not null, "the final stage sets no USER, so the functions would run as root");
        Assert.DoesNotContain(user.Arguments.Trim(), RootUsers);
    }

    [Fact]
    public void FinalStage_ListensOnPort()
    {
        var final = Image.Final;
        var env = Dockerfile.Env(final);

        // The host listens on $PORT (Cloud Run sets it); the image gives a default and exposes it.
        Assert.True(env.TryGetValue("PORT", out var port) && int.TryParse(port, out _), "ENV PORT=<number> missing in the final stage");
        Assert.Contains(final.All("EXPOSE"), e => e.Arguments.Split(' ').Any(p => p.Split('/')[0] == port));
        Assert.False(env.ContainsKey("ASPNETCORE_URLS"), "ASPNETCORE_URLS would override PORT");
    }

    [Fact]
    public void Entrypoint_RunsTheFunctionsHost()
    {
        var entrypoint = Image.Final.Last("ENTRYPOINT");

        Assert.NotNull(entrypoint);
        Assert.Equal(["dotnet", "Cctv.Functions.dll"], Dockerfile.ExecForm(entrypoint));
    }

    [Fact]
    public void BuildContext_HoldsEveryProjectTheFunctionsReference()
    {
        var build = Image.Stages[0];
        var copied = Dockerfile.CopySources(build).Select(s => s.TrimEnd('/')).ToList();
        var ignore = Repo.Read(".dockerignore").Split('\n').Select(l => l.Trim()).ToList();

        foreach (var project in Repo.ProjectClosure(FunctionsProject))
        {
            var folder = Repo.FolderOf(project);
            Assert.Contains(project, copied); // restore layer
            Assert.Contains(folder, copied); // sources
            Assert.Contains($"!{folder}/", ignore);
        }

        foreach (var source in copied)
        {
            Assert.True(File.Exists(Repo.PathOf(source)) || Directory.Exists(Repo.PathOf(source)), $"COPY {source}: not in the repository");
        }
    }

    [Fact]
    public void DockerIgnore_KeepsBuildOutputAndEverythingElseOut()
    {
        var ignore = Repo.Read(".dockerignore").Split('\n').Select(l => l.Trim()).ToList();

        Assert.Equal("*", ignore.First(l => l.Length > 0 && !l.StartsWith('#')));
        Assert.Contains("**/bin/", ignore);
        Assert.Contains("**/obj/", ignore);
    }
}
