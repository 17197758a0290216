using System.Globalization;
using PoapLab.Core.Events;
using PoapLab.Core.Time;
using PoapLab.Switch.Flash;

namespace PoapLab.Switch.Poap;

/// <summary>
/// The switch's own logs: syslog lines as the switch prints them (also recorded as
/// <see cref="EventKinds.Syslog"/> events), the console, and POAP's init log on
/// bootflash (<c>/bootflash/&lt;date&gt;_poap_&lt;pid&gt;_init.log</c>).
/// </summary>
public sealed class SwitchLog : IDisposable
{
    private readonly SimClock _clock;
    private readonly IEventSink _events;
    private readonly string _source;
    private readonly Lock _gate = new();
    private readonly StreamWriter _syslog;
    private readonly StreamWriter _console;
    private StreamWriter? _poapInit;

    public SwitchLog(string logsDirectory, SimClock clock, IEventSink events, string source)
    {
        _clock = clock;
        _events = events;
        _source = source;
        Directory.CreateDirectory(logsDirectory);
        SyslogPath = Path.Combine(logsDirectory, "syslog.log");
        ConsolePath = Path.Combine(logsDirectory, "console.log");
        _syslog = new StreamWriter(SyslogPath, append: true) { AutoFlush = true, NewLine = "\n" };
        _console = new StreamWriter(ConsolePath, append: true) { AutoFlush = true, NewLine = "\n" };
    }

    public string SyslogPath { get; }

    public string ConsolePath { get; }

    /// <summary>The hostname syslog lines carry.</summary>
    public string Hostname { get; set; } = "switch";

    /// <summary>
    /// The <c>serial-MAC</c> tag of POAP lines (<c>FOX2249PGK1-D4:C9:3C:85:7D:BF</c>, printed in
    /// brackets); empty for releases whose POAP lines carry none (6.x).
    /// </summary>
    public string PoapTag { get; set; } = "";

    /// <summary>Starts a new POAP init log on bootflash (one per POAP run, as the switch keeps them).</summary>
    public string StartPoapInitLog(FileTree bootflash, int pid)
    {
        ArgumentNullException.ThrowIfNull(bootflash);
        lock (_gate)
        {
            CloseInitLog();
            var name = $"{_clock.GetUtcNow():yyyyMMdd_HHmmss}_poap_{pid}_init.log";
            try
            {
                // Appended through the flash's tree: a link or FIFO of that name is refused, not followed.
                _poapInit = new StreamWriter(bootflash.Append(name)) { AutoFlush = true, NewLine = "\n" };
            }
            catch (Exception e) when (e is SwitchFileException or IOException)
            {
                // The script took the name first, or filled the flash: the switch logs to syslog only.
            }
            return name;
        }
    }

    /// <summary>Closes the POAP init log (before a reload; the file stays on flash).</summary>
    public void EndPoapInitLog()
    {
        lock (_gate)
        {
            CloseInitLog();
        }
    }

    /// <summary><c>%POAP-2-POAP_INFO: [serial-MAC] - text</c>.</summary>
    public void PoapInfo(string text) => Poap("POAP_INFO", text);

    /// <summary><c>%POAP-2-POAP_FAILURE: [serial-MAC] - text</c>.</summary>
    public void PoapFailure(string text) => Poap("POAP_FAILURE", text);

    /// <summary>
    /// A POAP line with its own mnemonic, e.g. <c>%POAP-2-POAP_SCRIPT_DOWNLOADED: [serial-MAC] -
    /// Successfully downloaded POAP script file</c>.
    /// </summary>
    public void Poap(string mnemonic, string text) =>
        Syslog("POAP", 2, mnemonic, PoapTag.Length == 0 ? text : $"[{PoapTag}] - {text}", poap: true);

    /// <summary>A syslog line from the script: <c>%USER-1-SYSTEM_MSG: msg - script.sh</c>.</summary>
    public void ScriptSyslog(int priority, string message)
    {
        var severity = priority & 7;
        var facility = (priority >> 3) switch
        {
            0 => "KERN",
            1 => "USER",
            3 => "DAEMON",
            16 or 17 or 18 or 19 or 20 or 21 or 22 or 23 => "LOCAL" + ((priority >> 3) - 16).ToString(CultureInfo.InvariantCulture),
            _ => "USER",
        };
        Syslog(facility, severity, "SYSTEM_MSG", $"{message} - script.sh", poap: false);
    }

    /// <summary>A line on the switch console (prompts, boot messages).</summary>
    public void Console(string line)
    {
        lock (_gate)
        {
            _console.WriteLine(line);
            WriteInitLog($"{Stamp()} {line}");
        }
    }

    /// <summary>
    /// A line of the POAP init log on the flash. A full flash (ENOSPC, the script may have
    /// filled it) ends that log, as on the switch, never the switch's own work. Under the gate.
    /// </summary>
    private void WriteInitLog(string line)
    {
        if (_poapInit is null)
        {
            return;
        }
        try
        {
            _poapInit.WriteLine(line);
        }
        catch (IOException)
        {
            CloseInitLog();
        }
    }

    private void CloseInitLog()
    {
        var log = _poapInit;
        _poapInit = null;
        try
        {
            log?.Dispose();
        }
        catch (IOException)
        {
            // What did not fit on the flash is lost, as on the switch.
        }
    }

    private void Syslog(string facility, int severity, string mnemonic, string text, bool poap)
    {
        var body = $"%{facility}-{severity}-{mnemonic}: {text}";
        var line = $"{Stamp()} {Hostname} {body}";
        lock (_gate)
        {
            _syslog.WriteLine(line);
            _console.WriteLine(line);
            if (poap)
            {
                WriteInitLog(line);
            }
        }
        _events.Record(_source, EventKinds.Syslog, body, ("facility", facility), ("severity", severity), ("mnemonic", mnemonic), ("text", text));
    }

    private string Stamp() => _clock.GetUtcNow().ToString("yyyy MMM d HH:mm:ss", CultureInfo.InvariantCulture);

    public void Dispose()
    {
        lock (_gate)
        {
            CloseInitLog();
            _syslog.Dispose();
            _console.Dispose();
        }
    }
}
