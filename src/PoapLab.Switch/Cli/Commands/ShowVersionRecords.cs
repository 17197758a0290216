using System.Globalization;
using System.Text;

namespace PoapLab.Switch.Cli.Commands;

/// <summary>Kernel uptime as <c>show version</c> splits it.</summary>
internal readonly record struct Uptime(int Days, int Hours, int Minutes, int Seconds)
{
    public static Uptime From(TimeSpan t) => new(t.Days, t.Hours, t.Minutes, t.Seconds);

    public string Line => string.Create(CultureInfo.InvariantCulture,
        $"Kernel uptime is {Days} day(s), {Hours} hour(s), {Minutes} minute(s), {Seconds} second(s)\n");
}

/// <summary>
/// <c>show version</c> of a single-image release (7.x and later), text and <c>clid</c> keys from
/// the same fields. The text is the layout of the Cisco Nexus 9000 command reference's example;
/// the keys are NX-OS's (<c>nxos_ver_str</c>, <c>nxos_file_name</c>, ... and their 7.x
/// <c>kickstart_*</c> twins, which scripts written for either read).
/// </summary>
internal sealed record ShowVersionRecord : CliRecord
{
    public const string Header = "Cisco Nexus Operating System (NX-OS) Software\nTAC support: http://www.cisco.com/tac\n";

    [CliKey("header_str")]
    public string HeaderText => Header;

    [CliKey("bios_ver_str")]
    public required string BiosVersion { get; init; }

    [CliKey("kickstart_ver_str")]
    public string KickstartVersion => Version;

    [CliKey("nxos_ver_str")]
    public required string Version { get; init; }

    [CliKey("bios_cmpl_time")]
    public required string BiosCompileTime { get; init; }

    [CliKey("kick_file_name")]
    public string KickstartImage => Image;

    [CliKey("nxos_file_name")]
    public required string Image { get; init; }

    [CliKey("kick_cmpl_time")]
    public string KickstartCompileDate => CompileDate;

    [CliKey("nxos_cmpl_time")]
    public required string CompileDate { get; init; }

    [CliKey("kick_tmstmp")]
    public string KickstartTimestamp => Timestamp;

    [CliKey("nxos_tmstmp")]
    public required string Timestamp { get; init; }

    [CliKey("chassis_id")]
    public required string ChassisId { get; init; }

    [CliKey("cpu_name")]
    public required string Cpu { get; init; }

    [CliKey("memory")]
    public required int MemoryKilobytes { get; init; }

    [CliKey("mem_type")]
    public string MemoryUnit => "kB";

    [CliKey("proc_board_id")]
    public required string Serial { get; init; }

    [CliKey("host_name")]
    public required string Hostname { get; init; }

    [CliKey("bootflash_size")]
    public required long BootflashKilobytes { get; init; }

    public required Uptime Uptime { get; init; }

    [CliKey("kern_uptm_days")]
    public int UptimeDays => Uptime.Days;

    [CliKey("kern_uptm_hrs")]
    public int UptimeHours => Uptime.Hours;

    [CliKey("kern_uptm_mins")]
    public int UptimeMinutes => Uptime.Minutes;

    [CliKey("kern_uptm_secs")]
    public int UptimeSeconds => Uptime.Seconds;

    [CliKey("rr_reason")]
    public string ResetReason => "Unknown";

    [CliKey("rr_sys_ver")]
    public string ResetVersion => Version;

    [CliKey("rr_service")]
    public string ResetService => "";

    [CliKey("plugins")]
    public string Plugins => "Core Plugin, Ethernet Plugin";

    [CliKey("manufacturer")]
    public string Manufacturer => "Cisco Systems, Inc.";

    /// <summary><c>Maintenance Release</c> / <c>Feature Release</c> on 10.x; null before.</summary>
    [CliKey("nxos_release_type")]
    public string? ReleaseType { get; init; }

    /// <summary>The compile time as the text prints it: date and, in brackets, the build stamp.</summary>
    public string CompileTimeText => $"{CompileDate} [{Timestamp}]";

    /// <summary>The <c>NXOS:</c> line's value: the release and, on 10.x, its kind.</summary>
    public string VersionText => ReleaseType is null ? Version : $"{Version} [{ReleaseType}]";

    /// <summary><c>cisco Nexus9000 C93108TC-EX chassis</c>.</summary>
    public required string ChassisLine { get; init; }

    public override string ToText() => new StringBuilder()
        .Append("Cisco Nexus Operating System (NX-OS) Software\n")
        .Append("TAC support: http://www.cisco.com/tac\n")
        .Append("Documents: http://www.cisco.com/en/US/products/ps9372/tsd_products_support_series_home.html\n")
        .Append("Copyright (c) 2002-2023, Cisco Systems, Inc. All rights reserved.\n")
        .Append("The copyrights to certain works contained herein are owned by\n")
        .Append("other third parties and are used and distributed under license.\n")
        .Append("Some parts of this software are covered under the GNU Public\n")
        .Append("License. A copy of the license is available at\n")
        .Append("http://www.gnu.org/licenses/gpl.html.\n")
        .Append('\n')
        .Append("Software\n")
        .Append("  BIOS: version ").Append(BiosVersion).Append('\n')
        .Append(" NXOS: version ").Append(VersionText).Append('\n')
        .Append("  BIOS compile time:  ").Append(BiosCompileTime).Append('\n')
        .Append("  NXOS image file is: ").Append(Image).Append('\n')
        .Append("  NXOS compile time:  ").Append(CompileTimeText).Append('\n')
        .Append('\n')
        .Append('\n')
        .Append("Hardware\n")
        .Append("  ").Append(ChassisLine).Append('\n')
        .Append("  ").Append(Cpu).Append(CultureInfo.InvariantCulture, $" with {MemoryKilobytes} {MemoryUnit} of memory.\n")
        .Append("  Processor Board ID ").Append(Serial).Append('\n')
        .Append('\n')
        .Append("  Device name: ").Append(Hostname).Append('\n')
        .Append("  bootflash:   ").Append(BootflashKilobytes.ToString(CultureInfo.InvariantCulture)).Append(" kB\n")
        .Append('\n')
        .Append(Uptime.Line)
        .Append('\n')
        .Append("Last reset\n")
        .Append("  Reason: ").Append(ResetReason).Append('\n')
        .Append("  System version: ").Append(ResetVersion).Append('\n')
        .Append("  Service: ").Append(ResetService).Append('\n')
        .Append('\n')
        .Append("plugin\n")
        .Append("  ").Append(Plugins).Append('\n')
        .Append('\n')
        .Append("Active Package(s):\n")
        .Append('\n')
        .ToString();
}

/// <summary>
/// <c>show version</c> of a 6.x dual-image release: <c>kickstart:</c>/<c>system:</c> lines (the
/// legacy scripts' <c>system.*version</c> regex) and the 6.x keys (<c>sys_ver_str</c>,
/// <c>isan_file_name</c>, <c>kick_file_name</c>), from the same fields.
/// </summary>
internal sealed record ShowVersionLegacyRecord : CliRecord
{
    [CliKey("header_str")]
    public string HeaderText => ShowVersionRecord.Header;

    [CliKey("bios_ver_str")]
    public required string BiosVersion { get; init; }

    [CliKey("loader_ver_str")]
    public string LoaderVersion => "N/A";

    [CliKey("kickstart_ver_str")]
    public string KickstartVersion => Version;

    [CliKey("sys_ver_str")]
    public required string Version { get; init; }

    [CliKey("bios_cmpl_time")]
    public required string BiosCompileTime { get; init; }

    [CliKey("kick_file_name")]
    public required string KickstartImage { get; init; }

    [CliKey("kick_cmpl_time")]
    public string KickstartCompileDate => "3/1/2017 1:00:00";

    [CliKey("kick_tmstmp")]
    public string KickstartTimestamp => "03/01/2017 09:18:41";

    [CliKey("isan_file_name")]
    public required string SystemImage { get; init; }

    [CliKey("isan_cmpl_time")]
    public string SystemCompileDate => "3/1/2017 1:00:00";

    [CliKey("isan_tmstmp")]
    public string SystemTimestamp => "03/01/2017 10:24:28";

    /// <summary><c>cisco Nexus 3172 Chassis ("48x10GE + 6x40G Supervisor")</c>.</summary>
    public required string ChassisLine { get; init; }

    [CliKey("chassis_id")]
    public string ChassisId => ChassisLine.StartsWith("cisco ", StringComparison.Ordinal) ? ChassisLine["cisco ".Length..] : ChassisLine;

    [CliKey("cpu_name")]
    public string Cpu => "Intel(R) Pentium(R) CPU  @ 2.00GHz";

    [CliKey("memory")]
    public int MemoryKilobytes => 3795116;

    [CliKey("mem_type")]
    public string MemoryUnit => "kB";

    [CliKey("proc_board_id")]
    public required string Serial { get; init; }

    [CliKey("host_name")]
    public required string Hostname { get; init; }

    [CliKey("bootflash_size")]
    public required long BootflashKilobytes { get; init; }

    public required Uptime Uptime { get; init; }

    [CliKey("kern_uptm_days")]
    public int UptimeDays => Uptime.Days;

    [CliKey("kern_uptm_hrs")]
    public int UptimeHours => Uptime.Hours;

    [CliKey("kern_uptm_mins")]
    public int UptimeMinutes => Uptime.Minutes;

    [CliKey("kern_uptm_secs")]
    public int UptimeSeconds => Uptime.Seconds;

    [CliKey("rr_reason")]
    public string ResetReason => "Unknown";

    [CliKey("rr_sys_ver")]
    public string ResetVersion => Version;

    [CliKey("rr_service")]
    public string ResetService => "";

    [CliKey("manufacturer")]
    public string Manufacturer => "Cisco Systems, Inc.";

    public override string ToText() => new StringBuilder()
        .Append("Cisco Nexus Operating System (NX-OS) Software\n")
        .Append("TAC support: http://www.cisco.com/tac\n")
        .Append("Documents: http://www.cisco.com/en/US/products/ps9372/tsd_products_support_series_home.html\n")
        .Append("Copyright (c) 2002-2017, Cisco Systems, Inc. All rights reserved.\n")
        .Append("The copyrights to certain works contained herein are owned by\n")
        .Append("other third parties and are used and distributed under license.\n")
        .Append("Some parts of this software are covered under the GNU Public\n")
        .Append("License. A copy of the license is available at\n")
        .Append("http://www.gnu.org/licenses/gpl.html.\n")
        .Append('\n')
        .Append("Software\n")
        .Append("  BIOS:      version ").Append(BiosVersion).Append('\n')
        .Append("  loader:    version ").Append(LoaderVersion).Append('\n')
        .Append("  kickstart: version ").Append(KickstartVersion).Append('\n')
        .Append("  system:    version ").Append(Version).Append('\n')
        .Append("  Power Sequencer Firmware: \n")
        .Append("             Module 1: version v4.1\n")
        .Append("  BIOS compile time:       ").Append(BiosCompileTime).Append('\n')
        .Append("  kickstart image file is: ").Append(KickstartImage).Append('\n')
        .Append("  kickstart compile time:  ").Append(KickstartCompileDate).Append(" [").Append(KickstartTimestamp).Append("]\n")
        .Append("  system image file is:    ").Append(SystemImage).Append('\n')
        .Append("  system compile time:     ").Append(SystemCompileDate).Append(" [").Append(SystemTimestamp).Append("]\n")
        .Append('\n')
        .Append('\n')
        .Append("Hardware\n")
        .Append("  ").Append(ChassisLine).Append('\n')
        .Append("  ").Append(Cpu).Append('\n')
        .Append(CultureInfo.InvariantCulture, $" with {MemoryKilobytes} {MemoryUnit} of memory.\n")
        .Append("  Processor Board ID ").Append(Serial).Append('\n')
        .Append('\n')
        .Append("  Device name: ").Append(Hostname).Append('\n')
        .Append("  bootflash:    ").Append(BootflashKilobytes.ToString(CultureInfo.InvariantCulture)).Append(" kB\n")
        .Append('\n')
        .Append(Uptime.Line)
        .Append('\n')
        .Append("Last reset \n")
        .Append("  Reason: ").Append(ResetReason).Append('\n')
        .Append("  System version: ").Append(ResetVersion).Append('\n')
        .Append("  Service: ").Append(ResetService).Append('\n')
        .Append('\n')
        .Append("plugin\n")
        .Append("  Core Plugin, Ethernet Plugin\n")
        .ToString();
}
