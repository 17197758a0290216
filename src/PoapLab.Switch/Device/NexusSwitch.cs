using System.Text;
using PoapLab.Core.Events;
using PoapLab.Core.Time;
using PoapLab.Switch.Cli;
using PoapLab.Switch.Flash;
using PoapLab.Switch.Identity;
using PoapLab.Switch.Network;
using PoapLab.Switch.Poap;
using PoapLab.Switch.Script;
using PoapLab.Switch.State;
using PoapLab.Switch.Transfer;
using PoapLab.Switch.Transfer.Tftp;

namespace PoapLab.Switch.Device;

/// <summary>Everything needed to build a simulated switch.</summary>
/// <param name="Identity">What the switch is.</param>
/// <param name="Version">The release it runs at power-on.</param>
/// <param name="ImageName">The image file it booted; defaults to the release's canonical name.</param>
/// <param name="Root">The switch's own directory on the host.</param>
/// <param name="BootflashCapacityBytes">Flash size; defaults to what <see cref="SwitchIdentity.BootflashKilobytes"/> says.</param>
/// <param name="BootflashSystemBytes">Flash taken by things not modelled as files.</param>
public sealed record SwitchSpec(
    SwitchIdentity Identity,
    NxosVersion Version,
    string? ImageName,
    string Root,
    long? BootflashCapacityBytes = null,
    long BootflashSystemBytes = 0,
    string Flavour = "cs")
{
    public PoapSettings Poap { get; init; } = new();

    public LinkModel Link { get; init; } = LinkModel.Default;

    public TftpClientOptions Tftp { get; init; } = new();

    public IReadOnlyList<CdpNeighbor> CdpNeighbors { get; init; } = [];

    /// <summary>Size of the stand-in for the image the switch runs at power-on.</summary>
    public long RunningImageBytes { get; init; } = 64 * 1024;
}

/// <summary>
/// A simulated Nexus switch: it boots, runs POAP when it has no startup-config, reloads
/// onto the image its boot variable names, replays the scheduled configuration and saves
/// it — for real, over its <see cref="ISwitchNetwork"/>, with the user's script.
/// </summary>
public sealed class NexusSwitch : IDisposable
{
    private readonly SwitchSpec _spec;
    private readonly SimClock _clock;
    private readonly IEventSink _events;
    private readonly SwitchTransferService _transfers;
    private readonly NxosCli _cli;
    private readonly PoapAgent _agent;
    private readonly SwitchLog _log;
    private readonly SwitchFaultSchedule _faults;
    private readonly ISwitchNetwork _network;

    public NexusSwitch(SwitchSpec spec, ISwitchNetwork network, SimClock clock, IEventSink events, ScriptHost scripts)
    {
        _spec = spec;
        _clock = clock;
        _events = events;
        _network = network;
        Source = "switch:" + spec.Identity.Name;
        var fs = new SwitchFilesystem(spec.Root);
        var capacity = spec.BootflashCapacityBytes ?? spec.Identity.BootflashKilobytes * 1024;
        // Mounted at power-on, not here (MountFilesystems): a fleet's switches waiting for a slot hold no mount.
        _flashBytes = capacity - spec.BootflashSystemBytes;
        var image = spec.ImageName ?? new NxosFeatures(spec.Version, spec.Identity.Model).ImageName(spec.Flavour);
        var flash = new Bootflash(fs.BootflashFiles, capacity, spec.BootflashSystemBytes);
        State = new SwitchState(spec.Identity, fs, flash, spec.Version, image) { ImageFlavour = spec.Flavour };
        State.CdpNeighbors.AddRange(spec.CdpNeighbors);
        if (!fs.BootflashFiles.FileExists(image))
        {
            using var imageFile = fs.BootflashFiles.Create(image);
            NxosImage.Generate(imageFile, spec.Version, spec.Version.Is64Bit ? spec.Flavour : null, spec.RunningImageBytes);
        }
        _log = new SwitchLog(fs.LogsPath, clock, events, Source) { PoapTag = State.Features.PoapLogTag ? $"{spec.Identity.Serial}-{spec.Identity.MacColons}" : "" };
        _transfers = new SwitchTransferService(network, clock, events, Source, State, spec.Link, spec.Tftp);
        _cli = new NxosCli(State, _transfers, clock, events, Source) { SyslogPath = _log.SyslogPath };
        _faults = new SwitchFaultSchedule(spec.Poap.Faults);
        _agent = new PoapAgent(State, network, _transfers, _cli, scripts, clock, events, _log, Source, spec.Poap, new Random(spec.Poap.Seed), _faults);
    }

    /// <summary>The event source name of this switch.</summary>
    public string Source { get; }

    public SwitchState State { get; }

    /// <summary>The switch's syslog as it printed it.</summary>
    public string SyslogPath => _log.SyslogPath;

    /// <summary>The switch's console.</summary>
    public string ConsolePath => _log.ConsolePath;

    /// <summary>The POAP attempt under way (1-based; 0 before the first), counted across reloads.</summary>
    public int CurrentAttempt => _agent.AttemptsMade;

    /// <summary>The CLI, for callers that want to ask the switch something after the run.</summary>
    public NxosCli Cli => _cli;

    /// <summary>Powers the switch on and runs until POAP is over, has failed, or the boot fails.</summary>
    /// <exception cref="InvalidOperationException">The switch's filesystems were released (<see cref="ReleaseFilesystems"/>).</exception>
    public async Task<PoapRunResult> PowerOnAsync(CancellationToken cancellationToken)
    {
        if (_released)
        {
            throw new InvalidOperationException($"{Source}: its filesystems were released after its run; it cannot be powered on again");
        }
        if (!_mounted)
        {
            // What the flash already holds (the scenario's files, the running image) moves into its tmpfs.
            _mounted = true;
            MountFilesystems(State.Filesystem, _flashBytes);
        }
        var attempts = new List<PoapAttempt>();
        var reached = new SortedSet<PoapPhase>();
        var reloads = 0;
        var boot = await BootAsync(reached, cancellationToken).ConfigureAwait(false);
        while (true)
        {
            if (boot is not null)
            {
                return Result(PoapOutcome.BootFailed, attempts, reloads, reached, boot);
            }
            if (State.StartupConfig is not null && !State.BootPoapEnabled)
            {
                reached.Add(PoapPhase.Completed);
                _events.Record(Source, EventKinds.PoapCompleted, $"POAP is over: {State.RunningVersion.Display} from {State.RunningImage}",
                    ("version", State.RunningVersion.Display), ("image", State.RunningImage), ("reloads", reloads), ("attempts", attempts.Count));
                await AnnounceAsync(cancellationToken).ConfigureAwait(false);
                return Result(PoapOutcome.Provisioned, attempts, reloads, reached, null);
            }
            if (reloads >= _spec.Poap.MaxReloads)
            {
                return Result(PoapOutcome.ReloadLoop, attempts, reloads, reached,
                    $"the switch came up without a startup-config after {reloads} reloads and would run POAP again");
            }
            bool success;
            string? failure;
            try
            {
                (success, failure) = await _agent.RunAsync(attempts, reached, cancellationToken).ConfigureAwait(false);
                if (success)
                {
                    reloads++;
                    reached.Add(PoapPhase.Reload);
                    _faults.Checkpoint(PoapPhase.Reload, _agent.AttemptsMade);
                }
            }
            catch (SwitchInterruptedException e) when (e.Fault.Kind == SwitchFaultKind.OperatorAbort)
            {
                _events.Record(Source, EventKinds.PoapAborted, $"POAP aborted by the operator ({e.Fault.Describe()}); the switch continues with normal setup",
                    ("phase", e.Fault.Phase), ("attempt", _agent.AttemptsMade));
                return Result(PoapOutcome.Aborted, attempts, reloads, reached, $"the operator aborted POAP ({e.Fault.Describe()})");
            }
            catch (SwitchInterruptedException e)
            {
                // Power lost: nothing in memory survives (lease, running config); the flash does.
                _events.Record(Source, EventKinds.PowerLoss, $"power lost ({e.Fault.Describe()}); the switch boots again from its flash",
                    ("phase", e.Fault.Phase), ("attempt", _agent.AttemptsMade));
                _log.Console("%POWER LOSS%");
                State.Lease = null;
                await _clock.SleepAsync(TimeSpan.FromMinutes(3), cancellationToken).ConfigureAwait(false);
                boot = await BootAsync(reached, cancellationToken).ConfigureAwait(false);
                continue;
            }
            if (!success)
            {
                return Result(PoapOutcome.Failed, attempts, reloads, reached, failure);
            }
            _events.Record(Source, EventKinds.Reload, $"reload {reloads}: boot variable {State.BootVariable ?? "(none)"}", ("reload", reloads), ("boot_variable", State.BootVariable));
            _log.Console("Reloading the switch after POAP");
            await _clock.SleepAsync(TimeSpan.FromMinutes(3), cancellationToken).ConfigureAwait(false);
            boot = await BootAsync(reached, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Up with its configuration, the switch tells its link neighbours who it is, as a Nexus
    /// does on mgmt0 (CDP is on by default; LLDP with <c>feature lldp</c>).
    /// </summary>
    private ValueTask AnnounceAsync(CancellationToken cancellationToken)
    {
        var id = State.Identity;
        var announcement = new LinkAnnouncement(
            DeviceId: $"{State.Hostname}({id.Serial})",
            Hostname: State.Hostname,
            Serial: id.Serial,
            SoftwareVersion: LinkAnnouncement.NxosVersionText(State.RunningVersion.Display),
            Platform: id.Model,
            PortId: _spec.Poap.Interface,
            Mac: id.SystemMac,
            ManagementAddress: State.Lease?.Address is { AddressFamily: System.Net.Sockets.AddressFamily.InterNetwork } a ? a : null,
            Lldp: State.RunningConfig.Any(l => string.Equals(l.Trim(), "feature lldp", StringComparison.OrdinalIgnoreCase)));
        return _network.AnnounceAsync(announcement, cancellationToken);
    }

    private PoapRunResult Result(PoapOutcome outcome, List<PoapAttempt> attempts, int reloads, SortedSet<PoapPhase> reached, string? reason) =>
        new(outcome, attempts, reloads, State.RunningVersion.Display, State.RunningImage, reached, reason);

    /// <summary>One boot: load the image, prepare the volatile filesystem, replay configuration.</summary>
    private async Task<string?> BootAsync(ISet<PoapPhase> reached, CancellationToken cancellationToken)
    {
        State.BootCount++;
        reached.Add(PoapPhase.Boot);
        var fs = State.Filesystem;
        fs.ClearVolatile();
        // 6.x dual-image platforms boot the system image named by `boot system`.
        if ((State.BootVariable ?? State.SystemBootVariable) is { } bootVar)
        {
            var flash = State.Bootflash.Files;
            var path = State.Bootflash.ToRelative(bootVar);
            var image = path is null ? null : NxosImage.TryRead(flash, path);
            if (image is null)
            {
                var why = path is null || !IsFlashFile(path)
                    ? $"the boot variable names {bootVar}, which is not on bootflash"
                    : $"the boot variable names {bootVar}, which is not a bootable NX-OS image";
                _log.Console($"Boot failed: {why}");
                _log.Console("loader >");
                _events.Record(Source, EventKinds.BootFailed, why, ("boot_variable", bootVar), ("boot", State.BootCount));
                return why;
            }
            if (State.BootVariable is null && State.KickstartBootVariable is { } kickstart &&
                (State.Bootflash.ToRelative(kickstart) is not { } kickstartPath || !IsFlashFile(kickstartPath)))
            {
                // 6.x dual-image platforms load the kickstart first: without it nothing boots.
                var why = $"the kickstart boot variable names {kickstart}, which is not on bootflash";
                _log.Console($"Boot failed: {why}");
                _log.Console("loader >");
                _events.Record(Source, EventKinds.BootFailed, why, ("boot_variable", kickstart), ("boot", State.BootCount));
                return why;
            }
            State.RunningVersion = image.Version;
            State.RunningImage = Path.GetFileName(path!);
            State.ImageFlavour = image.Flavour ?? State.ImageFlavour;
        }
        _log.Console($"Booting nxos image: bootflash:/{State.RunningImage}");
        _events.Record(Source, EventKinds.SwitchBoot, $"boot {State.BootCount}: NX-OS {State.RunningVersion.Display} from bootflash:/{State.RunningImage}",
            ("boot", State.BootCount), ("version", State.RunningVersion.Display), ("image", State.RunningImage));
        _events.Record(Source, EventKinds.BootImage, State.RunningImage, ("image", State.RunningImage), ("version", State.RunningVersion.Display));
        PrepareSystemFiles();
        State.RunningConfig.Clear();
        State.Hostname = "switch";
        _log.Hostname = State.Hostname;
        if (State.StartupConfig is { } startup)
        {
            await ApplyConfigAsync(startup, cancellationToken).ConfigureAwait(false);
        }
        if (State.ScheduledConfig.Count > 0)
        {
            reached.Add(PoapPhase.ConfigReplay);
            var lines = State.ScheduledConfig.ToList();
            State.ScheduledConfig.Clear();
            var errors = await ApplyConfigAsync(lines, cancellationToken).ConfigureAwait(false);
            _events.Record(Source, EventKinds.ConfigReplayed, $"replayed {lines.Count} scheduled-config lines ({errors} rejected)", ("lines", lines.Count), ("errors", errors));
            var save = await _cli.ExecuteAsync("copy running-config startup-config", json: false, cancellationToken).ConfigureAwait(false);
            _events.Record(Source, EventKinds.StartupConfigSaved, "copy running-config startup-config after the replay", ("status", save.Status), ("lines", State.RunningConfig.Count));
        }
        _log.Hostname = State.Hostname;
        return null;
    }

    private async Task<int> ApplyConfigAsync(IReadOnlyList<string> lines, CancellationToken cancellationToken)
    {
        var rejected = await _cli.ReplayConfigAsync(lines, cancellationToken).ConfigureAwait(false);
        foreach (var (line, result) in rejected)
        {
            _events.Record(Source, EventKinds.ConfigReplayError, $"config line rejected: {line.Trim()}: {result.Output.Trim()}", ("line", line.Trim()), ("output", result.Output.Trim()));
        }
        return rejected.Count;
    }

    /// <summary>What the image puts in place at every boot: files the scripts read.</summary>
    private void PrepareSystemFiles()
    {
        var fs = State.Filesystem;
        var firstSetup = Encoding.ASCII.GetBytes($"START: first setup at {_clock.GetUtcNow():yyyy-MM-dd HH:mm:ss}\n");
        WriteFile(fs.TmpFiles, "first_setup.log", firstSetup);
        WriteFile(fs.NxosTmpFiles, "first_setup.log", firstSetup);
        fs.IsanFiles.CreateDirectories("etc");
        fs.IsanFiles.CreateDirectories("bin");
        foreach (var f in new[] { "cs.txt", "noncs.txt" })
        {
            fs.IsanFiles.TryDeleteFile("etc/" + f);
        }
        if (State.RunningVersion.Is64Bit)
        {
            WriteFile(fs.IsanFiles, State.ImageFlavour == "msll" ? "etc/noncs.txt" : "etc/cs.txt", []);
        }
        // `file /isan/bin/pfm` tells 32- from 64-bit images: a minimal ELF header of the right class.
        var elf = new byte[64];
        elf[0] = 0x7f; elf[1] = (byte)'E'; elf[2] = (byte)'L'; elf[3] = (byte)'F';
        elf[4] = (byte)(State.RunningVersion.Is64Bit ? 2 : 1);
        elf[5] = 1; elf[6] = 1; elf[16] = 2; elf[18] = (byte)(State.RunningVersion.Is64Bit ? 0x3e : 0x03);
        WriteFile(fs.IsanFiles, "bin/pfm", elf);
    }

    /// <summary>A new regular file in one of the switch's trees (never written through a link or into a FIFO).</summary>
    private static void WriteFile(FileTree tree, string path, byte[] content)
    {
        using var file = tree.Create(path);
        file.Write(content);
    }

    private bool IsFlashFile(string flashPath)
    {
        try
        {
            return State.Bootflash.Files.FileExists(flashPath);
        }
        catch (SwitchFileException)
        {
            return false;
        }
    }

    /// <summary>The tmpfs mounts of the switch's filesystems (none outside a private mount namespace).</summary>
    private readonly List<FlashMount> _mounts = [];

    /// <summary>What the flash's tmpfs holds: its modelled free space.</summary>
    private readonly long _flashBytes;

    /// <summary>Whether the filesystems were mounted (the first power-on).</summary>
    private bool _mounted;

    /// <summary>Whether <see cref="ReleaseFilesystems"/> was called.</summary>
    private bool _released;

    /// <summary>
    /// The most real bytes a switch's flash holds (it is kept in memory): a modelled 53 GB flash
    /// must not let a script take 53 GB of the host. Writes past it fail with ENOSPC like a full flash.
    /// </summary>
    public const long MaxFlashBytes = 2L << 30;

    /// <summary>Sizes of the volatile filesystems (NX-OS keeps them in memory, as here).</summary>
    public const long TmpBytes = 256L << 20, NxosTmpBytes = 64L << 20, UsbBytes = 1L << 30;

    /// <summary>
    /// At the first power-on, when PoapLab may (<see cref="PrivateMounts.Active"/>), each of the switch's filesystems
    /// becomes a tmpfs of its size: the flash holds what the model says is free, and a script
    /// that writes past it gets ENOSPC from the kernel as on the switch.
    /// </summary>
    private void MountFilesystems(SwitchFilesystem fs, long flashBytes)
    {
        foreach (var (path, size) in new[] { (fs.BootflashPath, Math.Clamp(flashBytes, 1, MaxFlashBytes)), (fs.TmpPath, TmpBytes), (fs.NxosTmpPath, NxosTmpBytes), (fs.UsbPath, UsbBytes) })
        {
            if (FlashMount.TryMount(path, size) is { } mount)
            {
                _mounts.Add(mount);
            }
        }
    }

    /// <summary>The regular files on the switch's flash now, sorted (links are not followed, nor listed as files).</summary>
    public IReadOnlyList<string> FlashFiles()
    {
        try
        {
            return [.. State.Bootflash.Files.Walk().Where(e => e.Kind == FileEntryKind.File).Select(e => e.Path).Order(StringComparer.Ordinal)];
        }
        catch (SwitchFileException)
        {
            return [];
        }
    }

    /// <summary>
    /// The switch is done running (its power-on returned, no script of it is alive): its
    /// tmpfs filesystems are copied back to their host directories, as on
    /// <see cref="Dispose"/>, and unmounted now rather than when the lab ends. Every mount of
    /// PoapLab's mount namespace is copied into each script sandbox bubblewrap makes and torn
    /// down with it, under a kernel lock all sandboxes share: a fleet whose finished switches
    /// stayed mounted paid for all of them on every sandbox start, one start after another
    /// (1,000 switches: 4,000 mounts). The copy-back keeps no file above
    /// <see cref="FlashMount.MaxCopiedBackBytes"/>: take <see cref="FlashFiles"/> first to
    /// know what the flash held. Its log files and HTTP connections are closed. Afterwards the
    /// switch cannot be powered on again; reading its trees still works.
    /// </summary>
    /// <param name="identical">
    /// Where the run keeps what its switches copied back: a file identical to one kept there
    /// (a fleet's image) becomes a hard link to it instead of another copy (<see cref="IdenticalFiles"/>).
    /// Null: every file is copied.
    /// </param>
    /// <exception cref="IOException">A filesystem could not be copied back or unmounted (the others still are).</exception>
    public void ReleaseFilesystems(IdenticalFiles? identical = null)
    {
        _released = true;
        // A POAP run that failed leaves its init log open on the flash: closed, so the copy holds all of it.
        _log.EndPoapInitLog();
        try
        {
            UnmountFilesystems(identical);
        }
        finally
        {
            // Its syslog and console are complete: their files are closed now, not when the lab
            // ends (a fleet of 10,000 switches would hold 20,000 descriptors), and so are its
            // HTTP clients' pooled connections (two sockets each, the server's end and its own).
            _log.Dispose();
            _transfers.Dispose();
        }
    }

    /// <summary>Every step runs whatever an earlier one threw (a mount left behind holds host memory); the first failure is rethrown.</summary>
    public void Dispose()
    {
        Exception? first = null;
        foreach (var step in new Action[] { _transfers.Dispose, _log.Dispose, UnmountFilesystems })
        {
            try
            {
                step();
            }
            catch (Exception e) when (e is IOException or InvalidOperationException or ObjectDisposedException or UnauthorizedAccessException)
            {
                first ??= e;
            }
        }
        if (first is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(first);
        }
    }

    private void UnmountFilesystems() => UnmountFilesystems(null);

    private void UnmountFilesystems(IdenticalFiles? identical)
    {
        Exception? first = null;
        for (var i = _mounts.Count - 1; i >= 0; i--)
        {
            try
            {
                _mounts[i].Release(identical);
            }
            catch (IOException e)
            {
                first ??= e;
            }
        }
        _mounts.Clear();
        if (first is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(first);
        }
    }
}
