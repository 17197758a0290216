namespace PoapLab.Switch.Script.Lint;

/// <summary>The codes <see cref="ScriptLinter"/> reports, one per kind of problem.</summary>
public static class LintCodes
{
    /// <summary>No <c>#md5sum</c> line: the switch runs the script unvalidated.</summary>
    public const string Md5Missing = "md5-missing";
    /// <summary><c>#md5sum=</c> without double quotes: a Nexus 9000 refuses it.</summary>
    public const string Md5Unquoted = "md5-unquoted";
    /// <summary><c>#md5sum</c> differs from the script's MD5 (usually: edited after computing it).</summary>
    public const string Md5Stale = "md5-stale";
    /// <summary><c>#md5sum</c> does not hold 32 hex digits.</summary>
    public const string Md5Malformed = "md5-malformed";

    /// <summary>The script does not compile under the target interpreter.</summary>
    public const string Syntax = "syntax";
    /// <summary>Python 2 syntax compiled by a Python 3 interpreter (failure mode 11).</summary>
    public const string Python2Syntax = "py2-syntax";
    /// <summary>The compiler warns (invalid escape sequences and the like).</summary>
    public const string CompilerWarning = "py-warning";
    /// <summary>An import of a module the target interpreter does not have.</summary>
    public const string ImportMissing = "import-missing";
    /// <summary><c>import cisco</c>, which only legacy N3K/N5K images provide.</summary>
    public const string ImportCisco = "import-cisco";

    /// <summary>A line of the options dict lacks its trailing comma (failure mode 8).</summary>
    public const string OptionsMissingComma = "options-missing-comma";
    /// <summary>Another syntax error inside the options dict.</summary>
    public const string OptionsSyntax = "options-syntax";
    /// <summary>No top-level <c>options = {...}</c>; option checks skipped.</summary>
    public const string OptionsNotFound = "options-not-found";
    /// <summary>An options dict with none of the reference script's keys: the script's own, its keys not checked.</summary>
    public const string OptionsOwnDict = "options-own-dict";
    /// <summary>A key the reference script rejects with <c>Invalid option detected</c>.</summary>
    public const string OptionUnknown = "option-unknown";
    /// <summary>A key given twice in the dict literal: the last one wins silently.</summary>
    public const string OptionDuplicate = "option-duplicate";
    /// <summary>A key or value computed at run time, which the linter cannot check.</summary>
    public const string OptionComputed = "option-computed";
    /// <summary><c>transfer_protocol</c> is not one the switch's copy command knows.</summary>
    public const string OptionProtocol = "option-transfer-protocol";
    /// <summary><c>mode</c> is not one the reference script knows.</summary>
    public const string OptionMode = "option-mode";
    /// <summary>TFTP with a username/password (failure mode 9).</summary>
    public const string OptionTftpCredentials = "option-tftp-credentials";
}
