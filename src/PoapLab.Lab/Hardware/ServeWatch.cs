using System.Net;

namespace PoapLab.Lab.Hardware;

/// <summary>
/// What watches a <c>serve</c> run, from the command line (<c>--metrics-port</c>,
/// <c>--metrics-bind</c>, <c>--webhook</c>, <c>--syslog-port</c>, <c>--console</c>) and the
/// scenario's <c>device:</c> section (<c>reset</c>, <c>console</c>, <c>console_answer</c>).
/// </summary>
public sealed record ServeWatchOptions
{
    /// <summary>Serve Prometheus metrics on this TCP port; null: none.</summary>
    public int? MetricsPort { get; init; }

    /// <summary>The metrics endpoint's address; null: the lab address (127.0.0.1 is the other usual choice).</summary>
    public IPAddress? MetricsBind { get; init; }

    /// <summary>The addresses the run will add (the scenario's servers): the metrics may listen on one of them before it exists.</summary>
    public IReadOnlyList<IPAddress> LabAddresses { get; init; } = [];

    /// <summary>Allow the metrics on 0.0.0.0 or :: (every interface).</summary>
    public bool MetricsAllowAnyAddress { get; init; }

    /// <summary>POST each verdict here; null: no webhook.</summary>
    public Uri? WebhookUrl { get; init; }

    /// <summary>Receive syslog on this UDP port of the lab address (514 by default); null: no syslog receiver.</summary>
    public int? SyslogPort { get; init; } = 514;

    /// <summary>The switch's console: a serial device or <c>telnet HOST PORT</c>; null: none.</summary>
    public string? Console { get; init; }

    /// <summary>What the console answers the POAP abort prompt with.</summary>
    public ConsoleAnswer ConsoleAnswer { get; init; } = ConsoleAnswer.No;

    /// <summary>The shell command that brings the switch to day 0 before the run; null: none.</summary>
    public string? ResetCommand { get; init; }

    /// <summary>How long the reset command may run (default 5 minutes).</summary>
    public TimeSpan? ResetTimeout { get; init; }

    /// <summary>Where one plain line per phase change goes; null: nowhere (the command draws its own display).</summary>
    public TextWriter? Progress { get; init; }
}

/// <summary>Builds the observers of a <c>serve</c> run from <see cref="ServeWatchOptions"/>.</summary>
public static class ServeWatch
{
    /// <summary>
    /// The observers the options ask for, in the order they should start: the console first (to
    /// see the boot), then syslog, metrics, webhook and progress, the reset last (it starts the
    /// switch's reboot once everything listens). Invalid options (a webhook URL that is not
    /// http/https, metrics on every interface unasked, a console that is neither a device under
    /// /dev nor <c>telnet HOST PORT</c>) are a <see cref="ServeWatchException"/> naming the setting, before anything starts.
    /// Files of the device (<c>console.log</c>, <c>reset.log</c>) go to the switch's folder when
    /// the scenario has one switch, else to the output folder.
    /// </summary>
    public static IReadOnlyList<IServeObserver> Build(ServeWatchOptions options, string outputDirectory, IReadOnlyList<ServeSwitch> switches, TextWriter log)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(outputDirectory);
        ArgumentNullException.ThrowIfNull(switches);
        ArgumentNullException.ThrowIfNull(log);
        var deviceFolder = switches.Count == 1 ? Path.Combine(outputDirectory, switches[0].Name) : outputDirectory;
        var consoleSpec = options.Console is { } c ? Checked(nameof(options.Console), () => ConsoleSpec.Parse(c)) : null;
        if (consoleSpec?.SerialDevice is { } device)
        {
            Checked(nameof(options.Console), () => DeviceConsole.CheckSerialDevice(device));
        }
        if (options.SyslogPort is < 1 or > 65535)
        {
            throw new ServeWatchException(nameof(options.SyslogPort), $"the syslog port must be 1 to 65535, not {options.SyslogPort}");
        }
        if (options.MetricsPort is < 1 or > 65535)
        {
            throw new ServeWatchException(nameof(options.MetricsPort), $"the metrics port must be 1 to 65535, not {options.MetricsPort}");
        }
        if (options.MetricsBind is { } bind && !bind.Equals(IPAddress.Any) && !bind.Equals(IPAddress.IPv6Any) && !IPAddress.IsLoopback(bind)
            && !options.LabAddresses.Contains(bind) && !IsLocal(bind))
        {
            throw new ServeWatchException(nameof(options.MetricsBind),
                $"{bind} is not an address of this machine nor one the scenario's servers get: name the lab address, 127.0.0.1 or an address of this machine");
        }
        DeviceResetOptions? reset = null;
        if (options.ResetCommand is { } command)
        {
            reset = new DeviceResetOptions(command, Path.Combine(deviceFolder, "reset.log"), options.ResetTimeout, WorkingDirectory: outputDirectory);
            Checked(nameof(options.ResetCommand), () => DeviceReset.Validate(reset));
        }

        var observers = new List<IServeObserver>();
        if (consoleSpec is not null)
        {
            observers.Add(Checked(nameof(options.Console), () => new DeviceConsole(new DeviceConsoleOptions(consoleSpec, Path.Combine(deviceFolder, "console.log"), options.ConsoleAnswer), log)));
        }
        if (options.SyslogPort is { } syslogPort)
        {
            observers.Add(Checked(nameof(options.SyslogPort), () => new SyslogReceiver(new SyslogReceiverOptions(syslogPort), log)));
        }
        if (options.MetricsPort is { } metricsPort)
        {
            observers.Add(Checked(nameof(options.MetricsBind), () => new ServeMetrics(new ServeMetricsOptions(metricsPort, options.MetricsBind, options.MetricsAllowAnyAddress), log)));
        }
        if (options.WebhookUrl is { } url)
        {
            observers.Add(Checked(nameof(options.WebhookUrl), () => new VerdictWebhook(new VerdictWebhookOptions(url), log)));
        }
        if (options.Progress is { } progress)
        {
            observers.Add(new ServeProgress(progress));
        }
        if (reset is not null)
        {
            observers.Add(new DeviceReset.Step(reset, log));
        }
        return observers;
    }

    private static bool IsLocal(IPAddress address)
    {
        try
        {
            return System.Net.NetworkInformation.NetworkInterface.GetAllNetworkInterfaces()
                .SelectMany(i => i.GetIPProperties().UnicastAddresses).Any(u => u.Address.Equals(address));
        }
        catch (System.Net.NetworkInformation.NetworkInformationException)
        {
            return false;
        }
    }

    private static T Checked<T>(string setting, Func<T> build)
    {
        try
        {
            return build();
        }
        catch (ServeWatchException)
        {
            throw;
        }
        catch (ArgumentException e)
        {
            throw new ServeWatchException(setting, e.Message.Split(" (Parameter '", 2)[0]);
        }
    }

    private static void Checked(string setting, Action check) => Checked(setting, () =>
    {
        check();
        return 0;
    });
}

/// <summary>A watcher option of a <c>serve</c> run refused; <see cref="Setting"/> names the <see cref="ServeWatchOptions"/> property at fault.</summary>
public sealed class ServeWatchException : ArgumentException
{
    /// <summary>The refusal, for the setting named.</summary>
    public ServeWatchException(string setting, string message)
        : base(message)
    {
        Setting = setting;
    }

    /// <summary>The <see cref="ServeWatchOptions"/> property at fault (<c>WebhookUrl</c>, <c>MetricsBind</c>, <c>SyslogPort</c>, ...).</summary>
    public string Setting { get; }
}
