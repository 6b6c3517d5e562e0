using System.CommandLine;
using System.CommandLine.Builder;
using System.CommandLine.Parsing;

namespace Cctv.Shared.CommandLine;

/// <summary>
/// Runs a command line with System.CommandLine's usual behaviour (help, version, typo suggestions, cancellation on
/// Ctrl+C), except that a parse error (a required option missing, an unknown command or argument) exits 2, as every
/// other kind of bad argument or configuration does here, not 1, which means the work itself failed.
/// </summary>
public static class CommandLines
{
    /// <summary>The exit code of arguments that cannot be parsed or are not allowed.</summary>
    public const int BadArguments = 2;

    public static Task<int> InvokeAsync(RootCommand root, string[] args) =>
        new CommandLineBuilder(root)
            .UseVersionOption()
            .UseHelp()
            .UseEnvironmentVariableDirective()
            .UseParseDirective()
            .UseSuggestDirective()
            .RegisterWithDotnetSuggest()
            .UseTypoCorrections()
            .UseParseErrorReporting(BadArguments)
            .UseExceptionHandler()
            .CancelOnProcessTermination()
            .Build()
            .InvokeAsync(args);
}
