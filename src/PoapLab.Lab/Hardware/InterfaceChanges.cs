using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace PoapLab.Lab.Hardware;

/// <summary>
/// Every change PoapLab makes to a real interface (an address added, the link set up), and
/// how each is undone: by <see cref="UndoAsync"/> on a normal exit or Ctrl-C; after a crash or
/// <c>kill -9</c> by a guardian — a small <c>sh</c> child, not ended with PoapLab, that waits
/// for its standard input to close (it does when PoapLab's process ends, however it ends) and
/// then replays the undo file with <c>ip -force -batch</c>. The undo file is kept under
/// <c>/run/poaplab</c> (root only, 0700): one a run, named by the process and its namespace,
/// and an undo file left by a process that is gone (the guardian killed too) is replayed by the
/// next run in the same namespace. Only what was added is recorded: an address the interface
/// already had stays, whatever happens. IPv4 addresses carry the label <c>IF:pl</c> where the
/// name leaves room (ip-address(8)), so <c>ip addr</c> shows which are PoapLab's.
/// </summary>
public sealed class InterfaceChanges : IAsyncDisposable
{
    /// <summary>Where undo files are kept.</summary>
    public static string RecordDirectory { get; set; } = "/run/poaplab";

    private readonly InterfaceHost _host;
    private readonly string _file;
    private readonly List<string> _undo = [];
    private readonly Lock _gate = new();
    private Process? _guardian;
    private int _disposed;

    private InterfaceChanges(InterfaceHost host, string file)
    {
        _host = host;
        _file = file;
    }

    /// <summary>The undo file of this run.</summary>
    public string RecordFile => _file;

    /// <summary>The guardian's process id (for tests), or 0.</summary>
    public int GuardianPid => _guardian?.Id ?? 0;

    /// <summary>What was added, in words (for the report).</summary>
    public IReadOnlyList<string> Added
    {
        get { lock (_gate) { return [.. _undo]; } }
    }

    /// <summary>
    /// Replays the undo files of runs that are gone in this namespace, then starts recording
    /// this run's changes to <paramref name="host"/> (its guardian running).
    /// </summary>
    public static async Task<(InterfaceChanges Changes, IReadOnlyList<string> Replayed)> StartAsync(InterfaceHost host, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(host);
        Directory.CreateDirectory(RecordDirectory);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(RecordDirectory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
        var ns = host.NamespaceId.Replace(':', '-').Replace('[', '-').Replace(']', '-');
        var replayed = await ReplayLeftoversAsync(host, ns, cancellationToken).ConfigureAwait(false);
        var file = Path.Combine(RecordDirectory, $"serve-{Environment.ProcessId}-{ns}-{host.Interface}.batch");
        await File.WriteAllTextAsync(file, "", cancellationToken).ConfigureAwait(false);
        var changes = new InterfaceChanges(host, file);
        changes.StartGuardian();
        return (changes, replayed);
    }

    private static async Task<IReadOnlyList<string>> ReplayLeftoversAsync(InterfaceHost host, string ns, CancellationToken cancellationToken)
    {
        var replayed = new List<string>();
        foreach (var file in Directory.EnumerateFiles(RecordDirectory, $"serve-*-{ns}-*.batch"))
        {
            var parts = Path.GetFileName(file).Split('-');
            if (parts.Length < 4 || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var pid) || Directory.Exists($"/proc/{pid}"))
            {
                continue; // A run still going (or a name not ours).
            }
            var text = await File.ReadAllTextAsync(file, cancellationToken).ConfigureAwait(false);
            if (text.Trim().Length > 0)
            {
                await host.RunAsync("ip", ["-force", "-batch", file], cancellationToken).ConfigureAwait(false);
                replayed.AddRange(text.Split('\n', StringSplitOptions.RemoveEmptyEntries));
            }
            File.Delete(file);
        }
        return replayed;
    }

    private void StartGuardian()
    {
        // sh waits for EOF on its stdin (the pipe from this process: closed when it ends, even by
        // SIGKILL), then undoes what the file still lists and removes it. Its own process group,
        // so a Ctrl-C on the terminal leaves it to do its work once PoapLab is gone.
        var start = new ProcessStartInfo("setsid")
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = false,
            RedirectStandardError = false,
        };
        List<string> args = [.. _host.CommandPrefix, "sh", "-c", "cat >/dev/null; [ -s \"$1\" ] && ip -force -batch \"$1\" >/dev/null 2>&1; rm -f \"$1\"", "poaplab-guardian", _file];
        if (_host.Namespace is { } ns)
        {
            // nsenter by the holder's own path: PoapLab's descriptor goes away with PoapLab.
            args = ["nsenter", $"--net=/proc/{ns.HolderPid}/ns/net", "--", .. args.Skip(ns.CommandPrefix.Count)];
        }
        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }
        _guardian = Process.Start(start);
    }

    /// <summary>Closes the guardian's pipe as PoapLab's death would (tests).</summary>
    internal void CloseGuardianPipeForTest() => _guardian?.StandardInput.Close();

    /// <summary>Adds <paramref name="address"/>/<paramref name="prefixLength"/> to the interface unless it has it already; recorded before it is made.</summary>
    /// <returns>True when it was added (and will be removed), false when it was there already.</returns>
    public async Task<bool> AddAddressAsync(IPAddress address, int prefixLength, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(address);
        var state = await _host.InspectAsync(cancellationToken).ConfigureAwait(false)
            ?? throw new InvalidOperationException($"the interface {_host.Interface} is gone");
        if (state.Addresses.Any(a => a.Address.Equals(address)))
        {
            return false;
        }
        var v4 = address.AddressFamily == AddressFamily.InterNetwork;
        var family = v4 ? "-4" : "-6";
        var spec = $"{address}/{prefixLength}";
        List<string> add = [family, "addr", "add", spec, "dev", _host.Interface];
        if (v4 && _host.Interface.Length <= 12)
        {
            add.AddRange(["label", _host.Interface + ":pl"]);
        }
        if (!v4)
        {
            add.Add("nodad");
        }
        // Recorded first: a crash right after the add still undoes it.
        await RecordAsync($"address del {spec} dev {_host.Interface}", cancellationToken).ConfigureAwait(false);
        await _host.RunCheckedAsync("ip", add, cancellationToken).ConfigureAwait(false);
        return true;
    }

    /// <summary>Records that a link named <paramref name="name"/> is about to be made (deleted on undo if it is still here).</summary>
    public Task AddLinkAsync(string name, CancellationToken cancellationToken) => RecordAsync($"link del dev {name}", cancellationToken);

    /// <summary>Sets the interface up when it is down (recorded, so it is set down again).</summary>
    public async Task EnsureUpAsync(CancellationToken cancellationToken)
    {
        var state = await _host.InspectAsync(cancellationToken).ConfigureAwait(false)
            ?? throw new InvalidOperationException($"the interface {_host.Interface} is gone");
        if (state.IsUp)
        {
            return;
        }
        await RecordAsync($"link set dev {_host.Interface} down", cancellationToken).ConfigureAwait(false);
        await _host.RunCheckedAsync("ip", ["link", "set", "dev", _host.Interface, "up"], cancellationToken).ConfigureAwait(false);
        // Bounded (50 looks, 20 ms apart): frames sent before the carrier is up are lost; a NIC without a cable stays down.
        for (var look = 0; look < 50; look++)
        {
            var link = await _host.RunAsync("ip", ["-o", "link", "show", "dev", _host.Interface], cancellationToken).ConfigureAwait(false);
            if (link.Output.Contains("LOWER_UP", StringComparison.Ordinal))
            {
                return;
            }
            await Task.Delay(TimeSpan.FromMilliseconds(20), cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task RecordAsync(string undo, CancellationToken cancellationToken)
    {
        string text;
        lock (_gate)
        {
            // Undone last-made first.
            _undo.Insert(0, undo);
            text = string.Join('\n', _undo) + "\n";
        }
        var temp = _file + ".new";
        await File.WriteAllTextAsync(temp, text, cancellationToken).ConfigureAwait(false);
        File.Move(temp, _file, overwrite: true);
    }

    /// <summary>Undoes every change (last made first), whatever fails on the way; the undo file is emptied.</summary>
    /// <returns>The changes that could not be undone, in words.</returns>
    public async Task<IReadOnlyList<string>> UndoAsync()
    {
        string[] undo;
        lock (_gate)
        {
            undo = [.. _undo];
        }
        var failed = new List<string>();
        foreach (var line in undo)
        {
            var result = await _host.RunAsync("ip", line.Split(' ', StringSplitOptions.RemoveEmptyEntries), CancellationToken.None).ConfigureAwait(false);
            if (result.ExitCode != 0 && !result.Error.Contains("Cannot assign requested address", StringComparison.Ordinal) && !result.Error.Contains("Cannot find device", StringComparison.Ordinal))
            {
                failed.Add($"ip {line}: {result.Error.Trim()}");
            }
        }
        lock (_gate)
        {
            _undo.Clear();
        }
        await File.WriteAllTextAsync(_file, "", CancellationToken.None).ConfigureAwait(false);
        return failed;
    }

    /// <summary>Undoes what is left, ends the guardian (it finds nothing to do) and removes the undo file.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        await UndoAsync().ConfigureAwait(false);
        if (_guardian is { } guardian)
        {
            try
            {
                guardian.StandardInput.Close();
                using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(10));
                await guardian.WaitForExitAsync(bound.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or IOException or InvalidOperationException)
            {
                try
                {
                    guardian.Kill();
                }
                catch (InvalidOperationException)
                {
                    // Gone already.
                }
            }
            guardian.Dispose();
        }
        File.Delete(_file);
    }
}
