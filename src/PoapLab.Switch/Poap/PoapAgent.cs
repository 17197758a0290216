using System.Globalization;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using PoapLab.Core.Events;
using PoapLab.Core.Threading;
using PoapLab.Core.Time;
using PoapLab.Protocols.Dhcp;
using PoapLab.Protocols.Integrity;
using PoapLab.Switch.Cli;
using PoapLab.Switch.Flash;
using PoapLab.Switch.Network;
using PoapLab.Switch.Script;
using PoapLab.Switch.State;
using PoapLab.Switch.Transfer;

namespace PoapLab.Switch.Poap;

/// <summary>
/// The switch-side POAP process (the phases of Cisco's NX-OS Fundamentals Configuration Guide, "Using PowerOn Auto Provisioning"): DHCP, script download, <c>#md5sum</c>
/// check, the script run, and what the switch does with its exit code. One POAP run
/// (from a boot with no startup-config to success or giving up) per call.
/// </summary>
public sealed class PoapAgent
{
    private const string ScriptFlashPath = "bootflash:scripts/script.sh";

    /// <summary>Where the script goes, relative to the flash.</summary>
    private const string ScriptDirectory = "scripts";
    private const string ScriptFile = "scripts/script.sh";

    /// <summary>No script is read for its #md5sum check past this size (a real one is tens of kilobytes).</summary>
    private const long ScriptLimit = 16L << 20;
    private readonly SwitchState _state;
    private readonly ISwitchNetwork _network;
    private readonly SwitchTransferService _transfers;
    private readonly NxosCli _cli;
    private readonly ScriptHost _scripts;
    private readonly SimClock _clock;
    private readonly IEventSink _events;
    private readonly SwitchLog _log;
    private readonly string _source;
    private readonly PoapSettings _settings;
    private readonly Random _random;
    private readonly PoapDhcpClient _dhcp;
    private readonly SwitchFaultSchedule _faults;

    public PoapAgent(SwitchState state, ISwitchNetwork network, SwitchTransferService transfers, NxosCli cli, ScriptHost scripts,
        SimClock clock, IEventSink events, SwitchLog log, string source, PoapSettings settings, Random random, SwitchFaultSchedule faults)
    {
        _faults = faults;
        _state = state;
        _network = network;
        _transfers = transfers;
        _cli = cli;
        _scripts = scripts;
        _clock = clock;
        _events = events;
        _log = log;
        _source = source;
        _settings = settings;
        _random = random;
        _dhcp = new PoapDhcpClient(network, clock, events, log, source, state, settings, random);
    }

    /// <summary>The attempt number of the next attempt (attempts are counted across reloads).</summary>
    public int AttemptsMade { get; private set; }

    /// <summary>
    /// Runs POAP attempts until one succeeds (the script exited 0: the caller reloads) or
    /// the allowed attempts are spent.
    /// </summary>
    public async Task<(bool Success, string? Failure)> RunAsync(List<PoapAttempt> attempts, ISet<PoapPhase> reached, CancellationToken cancellationToken)
    {
        var pid = _random.Next(1000, 32000);
        _log.StartPoapInitLog(_state.Bootflash.Files, pid);
        _log.Console("Waiting for system online status before starting POAP ...");
        const string prompt = "Abort Power On Auto Provisioning [yes - continue with normal setup, skip - bypass password and basic configuration, no - continue with Power On Auto Provisioning] (yes/skip/no)[no]: ";
        try
        {
            _faults.Checkpoint(PoapPhase.Boot, AttemptsMade + 1);
        }
        catch (SwitchInterruptedException e) when (e.Fault.Kind == SwitchFaultKind.OperatorAbort)
        {
            _log.Console(prompt + "yes");
            _log.EndPoapInitLog();
            throw;
        }
        _log.Console(prompt + "no");
        _events.Record(_source, EventKinds.PoapStarted, $"POAP started on {_settings.Interface} (pid {pid})", ("pid", pid), ("interface", _settings.Interface), ("boot", _state.BootCount));
        string? lastFailure = null;
        try
        {
            while (AttemptsMade < _settings.MaxAttempts)
            {
                var number = ++AttemptsMade;
                _events.Record(_source, EventKinds.PoapAttempt, $"POAP attempt {number}", ("attempt", number), ("boot", _state.BootCount));
                PoapAttempt attempt;
                try
                {
                    attempt = await AttemptAsync(number, pid, reached, cancellationToken).ConfigureAwait(false);
                }
                catch (SwitchInterruptedException e)
                {
                    attempts.Add(new PoapAttempt(number, _state.BootCount, e.Fault.Phase, false, $"interrupted: {e.Fault.Describe()}", null));
                    throw;
                }
                attempts.Add(attempt);
                if (attempt.Succeeded)
                {
                    return (true, null);
                }
                lastFailure = $"attempt {number}: {attempt.Failure}";
                _events.Record(_source, EventKinds.PoapAttemptFailed, lastFailure, ("attempt", number), ("phase", attempt.Reached), ("reason", attempt.Failure));
                if (_state.Lease is { } lease)
                {
                    var ipv4 = lease.Address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork;
                    if (ipv4)
                    {
                        // A DHCPv6 lease is not released (the simulated client sends no RELEASE of RFC 8415 §18.2.7).
                        await _dhcp.ReleaseAsync(lease, cancellationToken).ConfigureAwait(false);
                    }
                    _state.Lease = null;
                    await _network.ConfigureAsync(ipv4 ? IPAddress.Any : IPAddress.IPv6Any, 0, null, cancellationToken).ConfigureAwait(false);
                }
                if (AttemptsMade < _settings.MaxAttempts)
                {
                    _log.PoapInfo("POAP will retry in a while, resetting interfaces");
                    await _clock.SleepAsync(_settings.RetryDelay, cancellationToken).ConfigureAwait(false);
                }
            }
            _events.Record(_source, EventKinds.PoapGaveUp, $"POAP gave up after {AttemptsMade} attempts", ("attempts", AttemptsMade), ("reason", lastFailure));
            return (false, lastFailure);
        }
        finally
        {
            _log.EndPoapInitLog();
        }
    }

    private async Task<PoapAttempt> AttemptAsync(int number, int pid, ISet<PoapPhase> reached, CancellationToken cancellationToken)
    {
        PoapAttempt Fail(PoapPhase phase, string why, int? exit = null) => new(number, _state.BootCount, phase, false, why, exit);

        reached.Add(PoapPhase.Dhcp);
        _faults.Checkpoint(PoapPhase.Dhcp, number);
        // As a 9.3/10.x console prints the DHCP phase (docs/nxos-python.md, "POAP's log lines").
        _log.Poap("POAP_DHCP_DISCOVER_START", "POAP DHCP Discover phase started");
        var dhcp = await _dhcp.AcquireAsync(number, cancellationToken).ConfigureAwait(false);
        if (dhcp.Lease is null || dhcp.Script is null)
        {
            _log.PoapFailure("POAP DHCP discover phase failed");
            return Fail(PoapPhase.Dhcp, dhcp.Failure ?? "DHCP failed");
        }
        var lease = dhcp.Lease;
        _log.PoapInfo($"Using DHCP, information received over {lease.Interface} from {lease.ServerIdentifier}");
        _state.Lease = lease;
        await _network.ConfigureAsync(lease.Address, PrefixLength(lease.SubnetMask), lease.Gateway, cancellationToken).ConfigureAwait(false);
        _log.PoapInfo($"Assigned IP address: {lease.Address}");
        _log.PoapInfo($"Netmask: {lease.SubnetMask}");
        _log.PoapInfo($"DNS Server: {(lease.DnsServers.Count > 0 ? lease.DnsServers[0] : IPAddress.Any)}");
        _log.PoapInfo($"Default Gateway: {lease.Gateway ?? IPAddress.Any}");
        _log.PoapInfo($"Script Server: {dhcp.Script.Server}");
        _log.PoapInfo($"Script Name: {dhcp.Script.ScriptName}");

        reached.Add(PoapPhase.ScriptDownload);
        _faults.Checkpoint(PoapPhase.ScriptDownload, number);
        var download = await DownloadScriptAsync(dhcp.Script, number, cancellationToken).ConfigureAwait(false);
        if (download is not null)
        {
            _log.PoapFailure("POAP boot file download failed.");
            return Fail(PoapPhase.ScriptDownload, download);
        }

        reached.Add(PoapPhase.ScriptValidation);
        _faults.Checkpoint(PoapPhase.ScriptValidation, number);
        byte[] scriptBytes;
        try
        {
            // The download made a regular file; whatever stands there now (a link, a FIFO planted by an
            // earlier attempt's script) is refused, never followed or blocked on.
            scriptBytes = _state.Bootflash.Files.ReadAllBytes(ScriptFile, ScriptLimit, followLinks: false);
        }
        catch (SwitchFileException e)
        {
            var unreadable = $"the downloaded script {ScriptFlashPath} cannot be read as a regular file: {e.Message}";
            _events.Record(_source, EventKinds.ScriptMd5Failed, unreadable, ("attempt", number));
            _log.PoapFailure("POAP script MD5 checksum validation failed");
            return Fail(PoapPhase.ScriptValidation, unreadable);
        }
        var check = ScriptMd5.Check(scriptBytes);
        // As the switch reports the script before it runs it (7.0(3)I6 console output).
        _log.PoapInfo($"Script file size {scriptBytes.Length.ToString(CultureInfo.InvariantCulture)}, MD5 checksum {MD5Hex(scriptBytes)}");
        if (check.Declared is { } declaredMd5)
        {
            _log.PoapInfo($"MD5 checksum received from the script file is {declaredMd5}");
        }
        if (check.Status == ScriptMd5Status.Unquoted && _state.Features.Md5SumUnquoted)
        {
            // 6.x and 7.0(3)I1 read the value with or without its double quotes.
            check = check with
            {
                Status = string.Equals(check.Declared, check.Computed, StringComparison.OrdinalIgnoreCase) ? ScriptMd5Status.Valid : ScriptMd5Status.Mismatch,
            };
        }
        switch (check.Status)
        {
            case ScriptMd5Status.Valid:
                _events.Record(_source, EventKinds.ScriptMd5Validated, $"script #md5sum {check.Computed} is valid", ("attempt", number), ("md5", check.Computed));
                _log.Poap("POAP_SCRIPT_STARTED_MD5_VALIDATED", "POAP script execution started(MD5 validated)");
                break;
            case ScriptMd5Status.Missing:
                _events.Record(_source, EventKinds.ScriptMd5Validated, "script has no #md5sum line: run without validation", ("attempt", number), ("md5", check.Computed), ("validated", false));
                _log.Poap("POAP_SCRIPT_STARTED_MD5_NOT_VALIDATED", "POAP script execution started(MD5 not validated)");
                break;
            default:
                var why = check.Status switch
                {
                    ScriptMd5Status.Unquoted => $"the script's #md5sum value is not in double quotes (line {check.LineNumber}); NX-OS {_state.RunningVersion.Display} insists on #md5sum=\"<md5>\" (only 6.x and 7.0(3)I1 took it unquoted)",
                    ScriptMd5Status.Malformed => $"the script's #md5sum line (line {check.LineNumber}) does not hold a 32-digit MD5",
                    _ => $"the script's #md5sum is {check.Declared} but the script's MD5 is {check.Computed}: recompute it after editing (poaplab md5 --fix)",
                };
                _events.Record(_source, EventKinds.ScriptMd5Failed, why, ("attempt", number), ("declared", check.Declared), ("computed", check.Computed), ("status", check.Status));
                _log.PoapFailure("POAP script MD5 checksum validation failed");
                return Fail(PoapPhase.ScriptValidation, why);
        }

        reached.Add(PoapPhase.ScriptRun);
        // The sandbox is made and the interpreter started (milliseconds of file and process
        // work): off the socket's polling thread the script's download may have ended on.
        await IoThreads.LeaveAsync();
        var (run, interrupt, evidence) = await RunScriptAsync(dhcp, lease, pid, number, FirstLine(scriptBytes), cancellationToken).ConfigureAwait(false);
        if (interrupt is not null)
        {
            if (interrupt.Kind == SwitchFaultKind.OperatorAbort)
            {
                _log.PoapFailure("POAP aborted by the operator: the script was terminated (SIGTERM)");
            }
            throw new SwitchInterruptedException(interrupt);
        }
        if (TakeReload() is { } reloadCommand)
        {
            // The script asked for the reload itself: POAP's run is over, the switch boots what was installed.
            _log.Console($"The script's '{NxosCli.Redact(reloadCommand)}' reloads the switch; the script was killed");
            return new PoapAttempt(number, _state.BootCount, PoapPhase.ScriptRun, true, null, null);
        }
        if (run.End == ScriptEnd.Exited && run.ExitCode == 0)
        {
            _log.PoapInfo("POAP_SCRIPT_EXECUTION_SUCCESS");
            return new PoapAttempt(number, _state.BootCount, PoapPhase.ScriptRun, true, null, 0);
        }
        var failure = run.End switch
        {
            ScriptEnd.TimedOut => $"the script ran past its timeout of {_settings.ScriptTimeout.TotalSeconds:0} s and was killed",
            ScriptEnd.FailedToStart => $"the script could not be started: {run.Error}",
            ScriptEnd.Killed => "the script was killed",
            _ => $"the script exited with {(run.ExitCode == 255 ? "-1 (255)" : run.ExitCode?.ToString(CultureInfo.InvariantCulture))}{ScriptFailure.Headline(evidence)}",
        };
        _log.PoapFailure($"POAP_SCRIPT_EXECUTION_FAILED: {failure}");
        return Fail(PoapPhase.ScriptRun, failure, run.ExitCode);
    }

    private async Task<string?> DownloadScriptAsync(ScriptSource script, int attempt, CancellationToken cancellationToken)
    {
        X509Certificate2Collection? trust = null;
        if (script.Secure is { } secure)
        {
            trust = await SecurePoapTrustAsync(secure, script.SecureOption, attempt, cancellationToken).ConfigureAwait(false);
        }
        try
        {
            return await DownloadScriptAsync(script, trust, attempt, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            // The CA list's certificates serve this one download.
            if (trust is not null)
            {
                foreach (X509Certificate2 certificate in trust)
                {
                    certificate.Dispose();
                }
            }
        }
    }

    private async Task<string?> DownloadScriptAsync(ScriptSource script, X509Certificate2Collection? trust, int attempt, CancellationToken cancellationToken)
    {
        var protocol = script.Secure is not null ? TransferProtocol.Https : script.OverHttp ? TransferProtocol.Http : TransferProtocol.Tftp;
        var copy = $"copy {script.Url} {ScriptFlashPath} vrf {_settings.Vrf}";
        _log.PoapInfo("The POAP Script download has started");
        _log.PoapInfo($"The POAP Script is being downloaded from [{copy} ]");
        _events.Record(_source, EventKinds.ScriptDownloadStarted, copy, ("attempt", attempt), ("url", script.Url), ("protocol", protocol));
        var flash = _state.Bootflash.Files;
        var request = new TransferRequest(protocol, script.Server, script.Port, "/" + script.ScriptName.TrimStart('/'), null, null, _settings.Vrf,
            IgnoreCertificate: script.Secure?.SkipCertificateCheck ?? false) { TrustOnly = trust };
        TransferResult result;
        FileStream stream;
        try
        {
            // bootflash:scripts is the POAP process's own: a link, FIFO or file of that name (left by
            // an earlier attempt's script) is replaced by a directory, and the script by a new file.
            flash.EnsureDirectory(ScriptDirectory);
            stream = flash.Create(ScriptFile);
        }
        catch (SwitchFileException e)
        {
            var refused = $"could not write the script to {ScriptFlashPath}: {e.Message}";
            _events.Record(_source, EventKinds.ScriptDownloadFailed, refused, ("attempt", attempt), ("url", script.Url), ("error", e.Message));
            return refused;
        }
        await using (stream.ConfigureAwait(false))
        {
            // 10.2(1)+ announce themselves to HTTP servers.
            var headers = script.OverHttp && _state.Features.PoapHttpVendorHeaders ? _transfers.VendorHeaders() : null;
            result = await _transfers.DownloadAsync(request, stream, null, headers, cancellationToken).ConfigureAwait(false);
        }
        if (!result.Success)
        {
            flash.TryDeleteFile(ScriptFile);
            var why = $"could not download the script {script.Url}: {result.Error?.Split('\n')[0]}";
            if (script.Secure is not null && result.Error?.Contains(NxosTransferErrors.CertificateProblem, StringComparison.Ordinal) == true)
            {
                // PoapLab's wording: no published console output of this refusal was found.
                _log.PoapFailure($"Secure POAP: server certificate verification failed for {script.Url}: {CertificateReason(result.Error)}");
                why = $"Secure POAP refused the script server {script.Url}: its certificate does not verify against the CA list of option {script.SecureOption} ({CertificateReason(result.Error)})";
            }
            _events.Record(_source, EventKinds.ScriptDownloadFailed, why, ("attempt", attempt), ("url", script.Url), ("error", result.Error));
            return why;
        }
        _log.Poap("POAP_SCRIPT_DOWNLOADED", "Successfully downloaded POAP script file");
        _events.Record(_source, EventKinds.ScriptDownloaded, $"script downloaded: {result.Bytes} bytes", ("attempt", attempt), ("bytes", result.Bytes), ("url", script.Url));
        return null;
    }

    /// <summary>The MD5 of the whole file, as the switch prints it beside the script's size.</summary>
    private static string MD5Hex(byte[] bytes) => Convert.ToHexStringLower(System.Security.Cryptography.MD5.HashData(bytes));

    /// <summary>The script's first line (its <c>#!</c> line, if any), at most 256 bytes of it.</summary>
    private static string? FirstLine(byte[] script)
    {
        if (script.Length == 0)
        {
            return null;
        }
        var head = script.AsSpan(0, Math.Min(script.Length, 256));
        var end = head.IndexOf((byte)'\n');
        return System.Text.Encoding.Latin1.GetString(end < 0 ? head : head[..end]);
    }

    private async Task<(ScriptRunResult Run, SwitchFault? Interrupt, ScriptEvidence Evidence)> RunScriptAsync(DhcpPhaseResult dhcp, DhcpLease lease, int pid, int attempt, string? firstLine, CancellationToken cancellationToken)
    {
        PythonInterpreter python;
        try
        {
            // The image's Python: 2.7 before 9.3(5), Python 3 from then on, whatever the #! line
            // says. "3" resolves to Debian's python3, which has PyYAML.
            var wanted = _state.Features.ScriptPython;
            python = await PythonLocator.ResolveAsync(_settings.Python ?? (wanted == "2.7" ? "2.7" : null), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is PythonNotFoundException or ArgumentException)
        {
            return (new ScriptRunResult(ScriptEnd.FailedToStart, null, "", "", TimeSpan.Zero, e.Message), null, new ScriptEvidence());
        }
        var env = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["POAP_VRF"] = lease.Vrf,
            ["POAP_PID"] = pid.ToString(CultureInfo.InvariantCulture),
            ["POAP_SERIAL"] = _state.Identity.Serial,
            ["POAP_MAC"] = _state.Identity.MacPlain,
            ["POAP_INTF"] = lease.Interface,
            ["POAP_PHASE"] = "DHCP",
        };
        if (lease.HostName is not null)
        {
            env["POAP_HOST_NAME"] = lease.HostName;
        }
        // What the script's #! line asks for, beside what it gets: a "python3" script on a 7.x image
        // or a "python" (2) one on a 10.x image explains a SyntaxError at once.
        var asked = Shebang.PythonOf(firstLine);
        _events.Record(_source, EventKinds.ScriptStarted,
            $"running {ScriptFlashPath} with Python {python.Version}" + (asked is not null && !python.Version.StartsWith(asked, StringComparison.Ordinal) ? $" (its #! line names Python {asked})" : ""),
            ("attempt", attempt), ("python", python.Version), ("script_server", dhcp.Script!.Server), ("shebang_python", asked));
        var request = new ScriptRunRequest(_state.Filesystem, "/bootflash/scripts/script.sh", python, env, _settings.ScriptTimeout,
            _state.Bootflash.CapacityBytes, () => _state.Bootflash.FreeBytes)
        {
            // 6.x N3K images ship the legacy `cisco` module; newer ones must make `import cisco` fail.
            LegacyCiscoModule = _state.Features.LegacyCiscoModule,
        };
        // A switch fault during the run (operator abort, power loss) ends it from outside,
        // after the script's Nth CLI command, so it strikes at a reproducible point.
        using var interrupt = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var powerOff = new CancellationTokenSource();
        SwitchFault? struck = null;
        ScriptBridge? bridge = null;
        bridge = new ScriptBridge(_cli, _log, _clock, _events, _source, Path.Combine(_state.Filesystem.LogsPath, "cli-transcript.log"), commands =>
        {
            if (struck is null && _faults.DuringScript(attempt, commands) is { } fault)
            {
                struck = fault;
                _events.Record(_source, EventKinds.SwitchFault, fault.Describe(), ("fault", fault.Kind), ("phase", fault.Phase), ("attempt", attempt));
                if (fault.Kind == SwitchFaultKind.PowerLoss)
                {
                    bridge!.PoweredOff = true;
                    powerOff.Cancel();
                }
                else
                {
                    interrupt.Cancel();
                }
            }
        });
        request = request with { PowerOff = powerOff.Token };
        // A command that reloads the switch (install all without no-reload, reload) takes the
        // box down under the script: it dies where it stands, as on the switch.
        var reloaded = false;
        void OnReload(object? sender, EventArgs e)
        {
            if (struck is null && !reloaded)
            {
                reloaded = true;
                bridge!.PoweredOff = true;
                powerOff.Cancel();
            }
        }
        _cli.ReloadRequestedChanged += OnReload;
        var scriptStarted = _clock.Elapsed;
        ScriptRunResult result;
        try
        {
            result = await _scripts.RunAsync(request, bridge, interrupt.Token).ConfigureAwait(false);
        }
        finally
        {
            _cli.ReloadRequestedChanged -= OnReload;
        }
        if (reloaded)
        {
            result = result with { Error = $"the switch reloaded under the script ({_cli.ReloadReason})" };
        }
        var logs = _state.Filesystem.LogsPath;
        await File.AppendAllTextAsync(Path.Combine(logs, "script.stdout.log"), $"--- attempt {attempt} ---\n{result.Stdout}", cancellationToken).ConfigureAwait(false);
        await File.AppendAllTextAsync(Path.Combine(logs, "script.stderr.log"), $"--- attempt {attempt} ---\n{result.Stderr}", cancellationToken).ConfigureAwait(false);
        if (result.End == ScriptEnd.TimedOut)
        {
            // The switch killed it at its timeout, counted from the start (sleeps the script
            // made before it hung or over-slept are part of that time, not added to it).
            _clock.Advance(SimClock.Remaining(_settings.ScriptTimeout, _clock.Elapsed - scriptStarted));
        }
        var kind = result.End == ScriptEnd.TimedOut ? EventKinds.ScriptTimedOut : EventKinds.ScriptExited;
        _events.Record(_source, kind, $"script ended: {result.End}{(result.ExitCode is { } c ? $" with exit code {c}" : "")}{(result.Error is null ? "" : ": " + result.Error)}",
            ("attempt", attempt), ("end", result.End), ("exit_code", result.ExitCode), ("real_ms", (long)result.RealDuration.TotalMilliseconds), ("error", result.Error));
        return (result, struck, new ScriptEvidence
        {
            Stderr = result.Stderr,
            Stdout = result.Stdout,
            LastErrorSyslog = bridge.LastErrorSyslog,
            LastSyslog = bridge.LastSyslog,
            LastRefusedCommand = bridge.LastRefusedCommand,
            ScriptPath = request.ScriptPath,
        });
    }

    /// <summary>No CA file of Secure POAP's list is read past this size (a CA bundle is tens of kilobytes).</summary>
    private const int CaFileLimit = 1 << 20;

    /// <summary>
    /// Secure POAP's trust for the script server: the certificates of the CA list's files
    /// (sub-option 50), or null to keep the switch's own trust store (no CA list: the guide's
    /// SUDI case, which the lab's servers are not). Logs the sub-options the switch goes on.
    /// </summary>
    private async Task<X509Certificate2Collection?> SecurePoapTrustAsync(SecurePoapOptions secure, int option, int attempt, CancellationToken cancellationToken)
    {
        _log.PoapInfo($"Secure POAP: script URL from option {option}: {secure.Url}");
        if (secure.Ntp is { } ntp)
        {
            // The lab's switch keeps its scenario clock: the NTP server is logged, not used.
            _log.PoapInfo($"Secure POAP: NTP server: {ntp}");
        }
        if (secure.Debug is > 0)
        {
            _log.PoapInfo($"Secure POAP: debug {secure.Debug}; version {secure.Version}; CA list: {secure.CaList ?? "none"}; flag: {secure.Flag ?? 0}");
        }
        _events.Record(_source, EventKinds.SecurePoapOptions, $"Secure POAP: script {secure.Url}{(secure.SkipCertificateCheck ? ", certificate check skipped" : "")}",
            ("attempt", attempt), ("url", secure.Url), ("ca_list", secure.CaList), ("ntp", secure.Ntp), ("debug", secure.Debug),
            ("skip_cert_check", secure.SkipCertificateCheck), ("version", secure.Version), ("option", option));
        if (secure.SkipCertificateCheck)
        {
            _log.PoapInfo($"Secure POAP: WARNING: server certificate validation is skipped (option {option} flag, sub-option 52)");
            return null;
        }
        var urls = secure.CaUrls;
        if (urls.Count == 0)
        {
            return null;
        }
        var trust = new X509Certificate2Collection();
        foreach (var url in urls)
        {
            var (certificates, error) = await FetchCaAsync(url, cancellationToken).ConfigureAwait(false);
            if (error is not null)
            {
                _log.PoapInfo($"Secure POAP: could not get CA certificate {url}: {error}");
                _events.Record(_source, EventKinds.SecurePoapCa, $"CA file {url} not used: {error}", ("attempt", attempt), ("url", url), ("error", error), ("certificates", 0));
                continue;
            }
            var all = certificates!;
            List<X509Certificate2> used = _state.Features.SecurePoapCaBundles ? all : [all[0]];
            if (used.Count < all.Count)
            {
                _log.PoapInfo($"Secure POAP: {url} holds {all.Count} certificates; this release takes one .pem certificate per file (Root-CA bundles from 10.4(1)F)");
            }
            trust.AddRange(used.ToArray());
            foreach (var unused in all.Skip(used.Count))
            {
                unused.Dispose();
            }
            _events.Record(_source, EventKinds.SecurePoapCa, $"CA file {url}: {used.Count} certificate(s)", ("attempt", attempt), ("url", url), ("certificates", used.Count),
                ("subjects", string.Join("; ", used.Select(c => c.Subject))));
        }
        return trust;
    }

    /// <summary>One CA list entry: its certificates, or why not. Fetched over HTTP or HTTPS.</summary>
    private async Task<(List<X509Certificate2>? Certificates, string? Error)> FetchCaAsync(string url, CancellationToken cancellationToken)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp)
            || string.IsNullOrEmpty(uri.Host) || !string.IsNullOrEmpty(uri.UserInfo) || uri.AbsolutePath.Length < 2)
        {
            return (null, "not an http(s):// URL of a file");
        }
        var https = uri.Scheme == Uri.UriSchemeHttps;
        // The guide has the switch reach the CA list's server (a SUDI device) with SUDI, which the lab
        // cannot emulate: an https:// CA file is fetched without checking that server's certificate.
        var request = new TransferRequest(https ? TransferProtocol.Https : TransferProtocol.Http,
            uri.HostNameType == UriHostNameType.IPv6 ? uri.Host.Trim('[', ']') : uri.Host, uri.IsDefaultPort ? null : uri.Port,
            Uri.UnescapeDataString(uri.AbsolutePath), null, null, _settings.Vrf, IgnoreCertificate: https);
        using var buffer = new BoundedBuffer(CaFileLimit);
        var result = await _transfers.DownloadAsync(request, buffer, null, cancellationToken).ConfigureAwait(false);
        if (!result.Success)
        {
            return (null, result.Error?.Split('\n')[0] ?? "download failed");
        }
        var certificates = new X509Certificate2Collection();
        try
        {
            certificates.ImportFromPem(System.Text.Encoding.ASCII.GetString(buffer.GetBuffer(), 0, (int)buffer.Length));
        }
        catch (System.Security.Cryptography.CryptographicException e)
        {
            return (null, $"not a PEM certificate file: {e.Message}");
        }
        return certificates.Count == 0 ? (null, "no PEM certificate in the file") : ([.. certificates], null);
    }

    /// <summary>The reason of a certificate refusal, from the CLI's error text.</summary>
    private static string CertificateReason(string error)
    {
        var line = error.Split('\n')[0];
        var at = line.IndexOf(NxosTransferErrors.CertificateProblem, StringComparison.Ordinal);
        return at < 0 ? line : line[(at + NxosTransferErrors.CertificateProblem.Length)..].TrimStart(':', ' ');
    }

    /// <summary>A memory buffer that refuses to grow past its limit with an IOException (what a full destination raises).</summary>
    private sealed class BoundedBuffer(int limit) : MemoryStream
    {
        public override void Write(byte[] buffer, int offset, int count)
        {
            Check(count);
            base.Write(buffer, offset, count);
        }

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            Check(buffer.Length);
            base.Write(buffer);
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        {
            Check(count);
            return base.WriteAsync(buffer, offset, count, cancellationToken);
        }

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            Check(buffer.Length);
            return base.WriteAsync(buffer, cancellationToken);
        }

        public override void WriteByte(byte value)
        {
            Check(1);
            base.WriteByte(value);
        }

        private void Check(int count)
        {
            if (Length + count > limit)
            {
                throw new IOException($"the CA file is larger than {limit} bytes");
            }
        }
    }

    /// <summary>The command of the last run that reloaded the switch, or null.</summary>
    private string? TakeReload()
    {
        if (!_cli.ReloadRequested)
        {
            return null;
        }
        var reason = _cli.ReloadReason ?? "reload";
        _cli.ClearReloadRequest();
        return reason;
    }

    /// <summary>The prefix length of a subnet mask (an IPv6 lease carries no mask: a /128 address).</summary>
    private static int PrefixLength(IPAddress mask)
    {
        if (mask.AddressFamily != System.Net.Sockets.AddressFamily.InterNetwork)
        {
            return 128;
        }
        return PoapLab.Protocols.Dhcp.SubnetMask.PrefixLength(mask);
    }
}
