using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace PoapLab.Switch.Script.Sandbox;

/// <summary>
/// The seccomp filter the script runs under: a classic BPF program (seccomp(2),
/// <c>SECCOMP_SET_MODE_FILTER</c>) in the form bubblewrap's <c>--seccomp FD</c> reads,
/// built here so that no libseccomp is needed. It refuses, with <c>EPERM</c>, what a POAP
/// script has no business doing and what widens the kernel's attack surface: new
/// namespaces (so no nested user namespace), joining others', keyrings, io_uring, BPF,
/// perf events, userfaultfd, ptrace and cross-process memory access (and inspection: kcmp,
/// NUMA page moves), fanotify, every mount API,
/// file handles (<c>open_by_handle_at</c>, the classic container escape), kernel modules,
/// kexec, reboot, swap, accounting, setting the clock and reading the kernel log.
/// Everything else is allowed: it is a denylist in the spirit of Docker's default profile,
/// behind the real walls (no capabilities, an unprivileged uid, private namespaces).
/// A foreign architecture (a 32-bit binary the script drops on bootflash, the x32 ABI)
/// kills the process, since its syscall numbers would slip past the list.
/// </summary>
public static class SeccompFilter
{
    // linux/audit.h
    private const uint AuditArchX8664 = 0xC000003E;
    private const uint AuditArchAarch64 = 0xC00000B7;

    // linux/seccomp.h
    private const uint RetKillProcess = 0x80000000;
    private const uint RetErrno = 0x00050000;
    private const uint RetAllow = 0x7FFF0000;
    private const uint Eperm = 1;
    private const uint Enosys = 38;

    // linux/filter.h: BPF_LD|BPF_W|BPF_ABS, BPF_JMP|BPF_JEQ|BPF_K, BPF_JMP|BPF_JSET|BPF_K, BPF_JMP|BPF_JGE|BPF_K, BPF_RET|BPF_K
    private const ushort LdAbs = 0x20;
    private const ushort JeqK = 0x15;
    private const ushort JsetK = 0x45;
    private const ushort JgeK = 0x35;
    private const ushort RetK = 0x06;

    // struct seccomp_data { int nr; u32 arch; u64 instruction_pointer; u64 args[6]; }
    private const uint OffsetNr = 0;
    private const uint OffsetArch = 4;
    private const uint OffsetArg0Low = 16;

    /// <summary>CLONE_NEWNS|NEWCGROUP|NEWUTS|NEWIPC|NEWUSER|NEWPID|NEWNET (sched.h).</summary>
    public const uint CloneNamespaceFlags = 0x00020000 | 0x02000000 | 0x04000000 | 0x08000000 | 0x10000000 | 0x20000000 | 0x40000000;

    /// <summary>The x32 ABI's syscall numbers carry this bit on x86_64.</summary>
    private const uint X32SyscallBit = 0x40000000;

    /// <summary>A refused system call: its name and number per architecture (asm/unistd_64.h, asm-generic/unistd.h).</summary>
    public sealed record Refused(string Name, int X8664, int Aarch64);

    /// <summary>Refused outright with EPERM.</summary>
    public static IReadOnlyList<Refused> RefusedCalls { get; } =
    [
        new("unshare", 272, 97),
        new("setns", 308, 268),
        new("keyctl", 250, 219),
        new("add_key", 248, 217),
        new("request_key", 249, 218),
        new("io_uring_setup", 425, 425),
        new("io_uring_enter", 426, 426),
        new("io_uring_register", 427, 427),
        new("bpf", 321, 280),
        new("perf_event_open", 298, 241),
        new("userfaultfd", 323, 282),
        new("ptrace", 101, 117),
        new("process_vm_readv", 310, 270),
        new("process_vm_writev", 311, 271),
        new("pidfd_getfd", 438, 438),
        new("process_madvise", 440, 440),
        new("kcmp", 312, 272),
        new("move_pages", 279, 239),
        new("migrate_pages", 256, 238),
        new("mbind", 237, 235),
        new("set_mempolicy", 238, 237),
        new("fanotify_init", 300, 262),
        new("quotactl_fd", 443, 443),
        new("mount", 165, 40),
        new("umount2", 166, 39),
        new("pivot_root", 155, 41),
        new("chroot", 161, 51),
        new("open_tree", 428, 428),
        new("move_mount", 429, 429),
        new("fsopen", 430, 430),
        new("fsconfig", 431, 431),
        new("fsmount", 432, 432),
        new("fspick", 433, 433),
        new("mount_setattr", 442, 442),
        new("name_to_handle_at", 303, 264),
        new("open_by_handle_at", 304, 265),
        new("kexec_load", 246, 104),
        new("kexec_file_load", 320, 294),
        new("init_module", 175, 105),
        new("finit_module", 313, 273),
        new("delete_module", 176, 106),
        new("reboot", 169, 142),
        new("swapon", 167, 224),
        new("swapoff", 168, 225),
        new("acct", 163, 89),
        new("settimeofday", 164, 170),
        new("clock_settime", 227, 112),
        new("adjtimex", 159, 171),
        new("clock_adjtime", 305, 266),
        new("syslog", 103, 116),
        new("quotactl", 179, 60),
        new("vhangup", 153, 58),
        new("lookup_dcookie", 212, 18),
        new("iopl", 172, -1),
        new("ioperm", 173, -1),
        new("modify_ldt", 154, -1),
        new("uselib", 134, -1),
        new("_sysctl", 156, -1),
    ];

    private static readonly Refused Clone = new("clone", 56, 220);

    /// <summary>clone3 passes its flags in memory a filter cannot read: ENOSYS makes glibc fall back to clone.</summary>
    private static readonly Refused Clone3 = new("clone3", 435, 435);

    /// <summary>The program for the machine's architecture, as bytes of <c>struct sock_filter</c>.</summary>
    /// <exception cref="PlatformNotSupportedException">Neither x86_64 nor aarch64.</exception>
    public static byte[] Build() => Build(RuntimeInformation.ProcessArchitecture);

    /// <summary>The program for <paramref name="architecture"/>.</summary>
    public static byte[] Build(Architecture architecture)
    {
        var (arch, x86) = architecture switch
        {
            Architecture.X64 => (AuditArchX8664, true),
            Architecture.Arm64 => (AuditArchAarch64, false),
            _ => throw new PlatformNotSupportedException($"the script sandbox's seccomp filter knows x86_64 and aarch64, not {architecture}"),
        };
        var program = new List<(ushort Code, byte Jt, byte Jf, uint K)>
        {
            (LdAbs, 0, 0, OffsetArch),
            (JeqK, 1, 0, arch),
            (RetK, 0, 0, RetKillProcess),
            (LdAbs, 0, 0, OffsetNr),
        };
        if (x86)
        {
            // x32 syscalls are numbered from 0x40000000 and would dodge the list below.
            program.Add((JgeK, 0, 1, X32SyscallBit));
            program.Add((RetK, 0, 0, RetKillProcess));
        }
        foreach (var call in RefusedCalls)
        {
            var nr = x86 ? call.X8664 : call.Aarch64;
            if (nr < 0)
            {
                continue;
            }
            program.Add((JeqK, 0, 1, (uint)nr));
            program.Add((RetK, 0, 0, RetErrno | Eperm));
        }
        program.Add((JeqK, 0, 1, (uint)(x86 ? Clone3.X8664 : Clone3.Aarch64)));
        program.Add((RetK, 0, 0, RetErrno | Enosys));
        // clone(flags, ...): flags are the first argument on both architectures; a new
        // thread or process is fine, a new namespace is not.
        program.Add((JeqK, 0, 3, (uint)(x86 ? Clone.X8664 : Clone.Aarch64)));
        program.Add((LdAbs, 0, 0, OffsetArg0Low));
        program.Add((JsetK, 0, 1, CloneNamespaceFlags));
        program.Add((RetK, 0, 0, RetErrno | Eperm));
        program.Add((RetK, 0, 0, RetAllow));

        var bytes = new byte[program.Count * 8];
        for (var i = 0; i < program.Count; i++)
        {
            var (code, jt, jf, k) = program[i];
            var slot = bytes.AsSpan(i * 8, 8);
            BinaryPrimitives.WriteUInt16LittleEndian(slot, code);
            slot[2] = jt;
            slot[3] = jf;
            BinaryPrimitives.WriteUInt32LittleEndian(slot[4..], k);
        }
        return bytes;
    }
}
