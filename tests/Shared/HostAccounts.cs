namespace PoapLab.Testing;

/// <summary>The host's account databases as a test compares them: the names, not the hashes.</summary>
internal static class HostAccounts
{
    /// <summary>
    /// The account names in /etc/passwd and /etc/shadow. Names, because other software on a
    /// shared machine may change a password while a test runs; a test checks that no account
    /// appeared or vanished, and that the lab account is not among them.
    /// </summary>
    public static (string[] Passwd, string[] Shadow) Names() =>
        (Read("/etc/passwd"), Read("/etc/shadow"));

    private static string[] Read(string file) =>
        [.. File.ReadLines(file).Select(l => l.Split(':')[0]).Order(StringComparer.Ordinal)];
}
