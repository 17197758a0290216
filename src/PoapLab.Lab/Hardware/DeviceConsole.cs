using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;
using PoapLab.Lab.Wire;

namespace PoapLab.Lab.Hardware;

/// <summary>What to answer NX-OS's POAP abort prompt with.</summary>
public enum ConsoleAnswer
{
    /// <summary><c>no</c>: continue with POAP (the default).</summary>
    No,
    /// <summary><c>yes</c>: abort POAP and continue with the normal setup (the scenario's abort fault).</summary>
    Yes,
    /// <summary><c>skip</c>: abort POAP and bypass the password and basic configuration (<c>yes</c> where the prompt offers only yes/no).</summary>
    Skip,
    /// <summary>Do not answer: only record the console.</summary>
    None,
}

/// <summary>A console to watch: a serial device or a terminal server's port.</summary>
/// <param name="SerialDevice">The serial device (a character device under /dev), or null.</param>
/// <param name="Host">The terminal server (telnet), or null.</param>
/// <param name="Port">Its TCP port.</param>
public sealed record ConsoleSpec(string? SerialDevice, string? Host, int Port)
{
    /// <summary>
    /// Reads <c>/dev/ttyUSB0</c> (any path under /dev) or <c>telnet HOST PORT</c> (the form of
    /// a scenario's <c>device.console</c> and of <c>--console</c>).
    /// </summary>
    public static ConsoleSpec Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var words = text.Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (words.Length == 1 && words[0].StartsWith("/dev/", StringComparison.Ordinal))
        {
            return new ConsoleSpec(words[0], null, 0);
        }
        if (words.Length == 3 && words[0] == "telnet")
        {
            if (!int.TryParse(words[2], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
            {
                throw new ArgumentException($"the console's port must be 1 to 65535, not '{words[2]}'", nameof(text));
            }
            var host = words[1];
            if (host.Length > 253 || host.StartsWith('-') || !host.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or ':' or '_'))
            {
                throw new ArgumentException($"'{host}' is not a host name or address", nameof(text));
            }
            return new ConsoleSpec(null, host, port);
        }
        throw new ArgumentException($"a console is a serial device under /dev (such as /dev/ttyUSB0) or 'telnet HOST PORT', not '{(text.Length > 80 ? text[..80] + "..." : text)}'", nameof(text));
    }

    /// <inheritdoc/>
    public override string ToString() => SerialDevice ?? $"telnet {Host} {Port}";
}

/// <summary>Where and how <see cref="DeviceConsole"/> records.</summary>
/// <param name="Console">The console.</param>
/// <param name="LogPath">The file it writes (<c>console.log</c>).</param>
/// <param name="Answer">What it answers the POAP abort prompt with.</param>
/// <param name="MaxLogBytes">Bytes of console output kept at most (default 16 MiB).</param>
public sealed record DeviceConsoleOptions(ConsoleSpec Console, string LogPath, ConsoleAnswer Answer = ConsoleAnswer.No, long MaxLogBytes = 16L << 20);

/// <summary>
/// Records a real switch's console during a <c>serve</c> run into <c>console.log</c> and answers
/// NX-OS's POAP abort prompt ("Abort Power On Auto Provisioning [yes - continue with normal
/// setup, skip - bypass password and basic configuration, no - continue with Power On Auto
/// Provisioning] (yes/skip/no)[no]:", and the older "Abort Auto Provisioning and continue with
/// normal setup ?(yes/no)[n]:") with <c>no</c>, or as told. A serial device is set to 9600 8N1
/// raw with stty(1) (the Nexus console's settings); a terminal server is spoken to over telnet
/// (RFC 854) refusing every option (RFC 855: WONT/DONT), reconnected when it drops.
/// </summary>
public sealed partial class DeviceConsole : IServeObserver
{
    private const byte Iac = 255, Dont = 254, Do = 253, Wont = 252, Will = 251, Sb = 250, Se = 240;
    private const int MaxSubnegotiation = 1024;
    private const int Window = 1024;
    private static readonly TimeSpan Reconnect = TimeSpan.FromSeconds(5);
    private const int MaxReconnects = 1000;

    private readonly DeviceConsoleOptions _options;
    private readonly TextWriter _log;
    private readonly CancellationTokenSource _stop = new();
    private readonly StringBuilder _window = new();
    private readonly Lock _gate = new();
    private FileStream? _file;
    private long _kept;
    private long _seen;
    private TimeProvider _time = TimeProvider.System;
    private Task? _loop;
    private int _answers;

    // Telnet parser state (RFC 854): kept across reads.
    private int _state;
    private byte _command;
    private int _subLength;

    /// <summary>Checks the options (the device itself is checked when the run starts).</summary>
    public DeviceConsole(DeviceConsoleOptions options, TextWriter? log = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(options.Console);
        if (options.MaxLogBytes is < 1024 or > 1L << 32)
        {
            throw new ArgumentException("the console log bound must be 1 KiB to 4 GiB", nameof(options));
        }
        _options = options;
        _log = log ?? TextWriter.Null;
    }

    /// <summary>How many times it answered the abort prompt.</summary>
    public int Answers => Volatile.Read(ref _answers);

    /// <summary>Bytes of console output seen (kept or not).</summary>
    public long BytesSeen => Interlocked.Read(ref _seen);

    /// <summary>
    /// Checks a serial device: an absolute path under /dev (after symbolic links), a character
    /// device. Returns the resolved path.
    /// </summary>
    public static string CheckSerialDevice(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!Path.IsPathFullyQualified(path) || path.Split('/').Contains("..") || !Path.GetFullPath(path).StartsWith("/dev/", StringComparison.Ordinal))
        {
            throw new ArgumentException($"the serial console must be a device under /dev, not '{path}'", nameof(path));
        }
        var info = new FileInfo(path);
        var target = info.LinkTarget is null ? info.FullName : (info.ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? info.FullName);
        if (!target.StartsWith("/dev/", StringComparison.Ordinal))
        {
            throw new ArgumentException($"the serial console '{path}' leads to '{target}', not a device under /dev", nameof(path));
        }
        if (!File.Exists(target) && !Directory.Exists(target))
        {
            throw new ArgumentException($"the serial console '{path}' does not exist", nameof(path));
        }
        var kind = Run("stat", ["-L", "--format=%F", "--", target], out _).Trim();
        if (kind != "character special file")
        {
            throw new ArgumentException($"the serial console '{path}' is a {(kind.Length == 0 ? "file of unknown kind" : kind)}, not a character device", nameof(path));
        }
        return target;
    }

    /// <summary>Opens the console (a serial device that is not a terminal, or cannot be set up, is an <see cref="InvalidOperationException"/>); a terminal server is connected to in the background.</summary>
    public Task StartAsync(ServeContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        _time = context.Time;
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(_options.LogPath))!);
        _file = new FileStream(_options.LogPath, FileMode.Create, FileAccess.Write, FileShare.Read);
        if (_options.Console.SerialDevice is { } device)
        {
            var target = CheckSerialDevice(device);
            // 9600 8N1 raw, no echo, no flow control; a read returns after 0.5 s without data (min 0 time 5) so the loop can stop.
            Run("stty", ["-F", target, "9600", "cs8", "-cstopb", "-parenb", "raw", "-echo", "-ixon", "-ixoff", "clocal", "cread", "min", "0", "time", "5"], out var code);
            if (code != 0)
            {
                _file.Dispose();
                throw new InvalidOperationException($"the serial console '{device}' could not be set to 9600 8N1 raw (is it a terminal?)");
            }
            FileStream stream;
            try
            {
                stream = new FileStream(target, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite, bufferSize: 0);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                _file.Dispose();
                throw new InvalidOperationException($"the serial console '{device}' cannot be opened: {e.Message}", e);
            }
            Note($"serial console {device} (9600 8N1)");
            _loop = Task.Factory.StartNew(() => SerialLoop(stream, _stop.Token), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        }
        else
        {
            _loop = Task.Run(() => TelnetLoopAsync(_stop.Token), CancellationToken.None);
        }
        return Task.CompletedTask;
    }

    /// <inheritdoc/>
    public Task OnSnapshotAsync(WireReport report, CancellationToken cancellationToken) => Task.CompletedTask;

    /// <inheritdoc/>
    public Task OnFinishedAsync(WireReport report, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            _file?.Flush();
        }
        return Task.CompletedTask;
    }

    /// <summary>Stops reading and closes the console and the log.</summary>
    public async ValueTask DisposeAsync()
    {
        if (!_stop.IsCancellationRequested)
        {
            await _stop.CancelAsync().ConfigureAwait(false);
        }
        if (_loop is not null)
        {
            await _loop.WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
        lock (_gate)
        {
            if (_seen > _kept)
            {
                WriteLog(Encoding.UTF8.GetBytes($"\n[poaplab] {_seen - _kept} more bytes of console output not kept (bound {_options.MaxLogBytes} bytes)\n"), own: true);
            }
            _file?.Dispose();
            _file = null;
        }
        _stop.Dispose();
    }

    private void SerialLoop(FileStream stream, CancellationToken cancellationToken)
    {
        using var _ = stream;
        var buffer = new byte[4096];
        while (!cancellationToken.IsCancellationRequested)
        {
            int n;
            var began = Environment.TickCount64;
            try
            {
                n = stream.Read(buffer, 0, buffer.Length);
            }
            catch (IOException e)
            {
                Note($"the serial console stopped: {e.Message}");
                return;
            }
            if (n == 0 && Environment.TickCount64 - began < 100)
            {
                // A hung-up line (a USB adapter pulled) reads nothing at once, again and again: do not spin.
                cancellationToken.WaitHandle.WaitOne(200);
                continue;
            }
            if (n > 0 && Take(buffer.AsSpan(0, n)) is { } answer)
            {
                try
                {
                    stream.Write(answer);
                    stream.Flush();
                }
                catch (IOException e)
                {
                    Note($"the answer could not be sent: {e.Message}");
                }
            }
        }
    }

    private async Task TelnetLoopAsync(CancellationToken cancellationToken)
    {
        var spec = _options.Console;
        for (var tries = 0; tries < MaxReconnects && !cancellationToken.IsCancellationRequested; tries++)
        {
            if (tries > 0)
            {
                try
                {
                    await Task.Delay(Reconnect, _time, cancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
            using var client = new TcpClient();
            try
            {
                using (var connect = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
                {
                    connect.CancelAfter(TimeSpan.FromSeconds(10));
                    await client.ConnectAsync(spec.Host!, spec.Port, connect.Token).ConfigureAwait(false);
                }
                Note($"connected to {spec}");
                _state = 0;
                var stream = client.GetStream();
                var buffer = new byte[4096];
                while (true)
                {
                    var n = await stream.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
                    if (n == 0)
                    {
                        Note($"{spec} closed the connection");
                        break;
                    }
                    var (data, reply) = Telnet(buffer.AsSpan(0, n));
                    if (reply.Length > 0)
                    {
                        await stream.WriteAsync(reply, cancellationToken).ConfigureAwait(false);
                    }
                    if (Take(data) is { } answer)
                    {
                        await stream.WriteAsync(answer, cancellationToken).ConfigureAwait(false);
                    }
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is SocketException or IOException or OperationCanceledException)
            {
                Note($"{spec}: {(e is OperationCanceledException ? "no connection within 10 s" : e.Message)}; trying again in {Reconnect.TotalSeconds:0} s");
            }
        }
    }

    /// <summary>Takes the telnet commands out of what arrived (RFC 854) and the refusals to send: every DO answered WONT, every WILL answered DONT.</summary>
    internal (byte[] Data, byte[] Reply) Telnet(ReadOnlySpan<byte> bytes)
    {
        var data = new List<byte>(bytes.Length);
        var reply = new List<byte>();
        foreach (var b in bytes)
        {
            switch (_state)
            {
                case 0: // data
                    if (b == Iac)
                    {
                        _state = 1;
                    }
                    else
                    {
                        data.Add(b);
                    }
                    break;
                case 1: // after IAC
                    if (b == Iac)
                    {
                        data.Add(Iac);
                        _state = 0;
                    }
                    else if (b is Do or Dont or Will or Wont)
                    {
                        _command = b;
                        _state = 2;
                    }
                    else if (b == Sb)
                    {
                        _subLength = 0;
                        _state = 3;
                    }
                    else
                    {
                        _state = 0; // NOP, GA, AYT...: nothing to do
                    }
                    break;
                case 2: // the option of DO/DONT/WILL/WONT
                    if (_command == Do)
                    {
                        reply.AddRange([Iac, Wont, b]);
                    }
                    else if (_command == Will)
                    {
                        reply.AddRange([Iac, Dont, b]);
                    }
                    _state = 0;
                    break;
                case 3: // subnegotiation (of an option we refused): skipped up to IAC SE, bounded
                    _state = b == Iac ? 4 : ++_subLength > MaxSubnegotiation ? 0 : 3;
                    break;
                case 4:
                    _state = b == Se ? 0 : ++_subLength > MaxSubnegotiation ? 0 : 3;
                    break;
            }
        }
        return ([.. data], [.. reply]);
    }

    /// <summary>Records console output; returns the answer to send when it ends with the abort prompt.</summary>
    internal byte[]? Take(ReadOnlySpan<byte> data)
    {
        if (data.IsEmpty)
        {
            return null;
        }
        lock (_gate)
        {
            WriteLog(data, own: false);
            _window.Append(Encoding.Latin1.GetString(data));
            if (_window.Length > Window)
            {
                _window.Remove(0, _window.Length - Window);
            }
            var match = AbortPrompt().Match(_window.ToString());
            if (!match.Success || _options.Answer == ConsoleAnswer.None)
            {
                return null;
            }
            _window.Clear();
            var threeWay = match.Groups["choices"].Value.Contains("skip", StringComparison.Ordinal);
            var word = _options.Answer switch
            {
                ConsoleAnswer.Yes => "yes",
                ConsoleAnswer.Skip => threeWay ? "skip" : "yes",
                _ => "no",
            };
            _answers++;
            WriteLog(Encoding.UTF8.GetBytes($"\n[poaplab] answered '{word}' to the POAP abort prompt\n"), own: true);
            _log.WriteLine($"console: answered '{word}' to the POAP abort prompt");
            return Encoding.ASCII.GetBytes(word + "\r");
        }
    }

    private void Note(string text)
    {
        lock (_gate)
        {
            WriteLog(Encoding.UTF8.GetBytes($"\n[poaplab] {_time.GetUtcNow():yyyy-MM-ddTHH:mm:ssZ} {text}\n"), own: true);
        }
        _log.WriteLine("console: " + text);
    }

    private void WriteLog(ReadOnlySpan<byte> bytes, bool own)
    {
        if (_file is null)
        {
            return;
        }
        if (!own)
        {
            _seen += bytes.Length;
            var room = (int)Math.Max(0, Math.Min(bytes.Length, _options.MaxLogBytes - _kept));
            bytes = bytes[..room];
            _kept += room;
        }
        try
        {
            _file.Write(bytes);
            _file.Flush();
        }
        catch (IOException e)
        {
            _log.WriteLine($"console: console.log cannot be written: {e.Message}");
        }
    }

    private static string Run(string tool, string[] args, out int exitCode)
    {
        var start = new ProcessStartInfo(tool) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false };
        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{tool} could not be started");
        process.StandardInput.Close();
        var output = process.StandardOutput.ReadToEndAsync();
        _ = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromSeconds(10)))
        {
            process.Kill(entireProcessTree: true);
            exitCode = -1;
            return "";
        }
        exitCode = process.ExitCode;
        return output.Wait(TimeSpan.FromSeconds(5)) ? output.Result : "";
    }

    // NX-OS 7.0(3)I and later: "... (yes/skip/no)[no]:"; earlier: "... normal setup ?(yes/no)[n]:".
    [GeneratedRegex(@"Abort (?:Power On )?Auto Provisioning.{0,300}?\((?<choices>yes/skip/no|yes/no)\)\s*\[(?:no|n)\]\s*:", RegexOptions.Singleline | RegexOptions.CultureInvariant, matchTimeoutMilliseconds: 1000)]
    private static partial Regex AbortPrompt();
}
