using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using PoapLab.Lab.Addressing;
using PoapLab.Testing;

namespace PoapLab.Lab.Tests.Addressing;

/// <summary>The lab address plan: one 127.B.0.0/16 per lab, every host address given once.</summary>
public sealed class LoopbackBlockPoolTests
{
    // Pools of their own, outside the shared range (127.80-254): nothing here is bound.
    [Fact]
    public void Next_SeventyThousandAcrossTwoLabs_NoAddressRepeats()
    {
        var pool = new LoopbackBlockPool(60, 61);
        using var first = pool.Rent();
        using var second = pool.Rent();
        var seen = new HashSet<IPAddress>();

        for (var i = 0; i < LoopbackBlock.HostCapacity; i++)
        {
            seen.Add(first.Next()).ShouldBeTrue();
        }
        for (var i = 0; i < 70_000 - LoopbackBlock.HostCapacity; i++)
        {
            seen.Add(second.Next()).ShouldBeTrue();
        }

        seen.Count.ShouldBe(70_000);
        seen.ShouldAllBe(a => a.GetAddressBytes()[3] != 0 && a.GetAddressBytes()[3] != 255);
        seen.Where(a => a.GetAddressBytes()[1] == first.Octet).ShouldAllBe(a => first.Contains(a) && !second.Contains(a));
    }

    [Fact]
    public void Next_BlockUsedUp_RefusesClearlyAndGivesNothingTwice()
    {
        var pool = new LoopbackBlockPool(62, 62);
        using var block = pool.Rent();
        for (var i = 0; i < LoopbackBlock.HostCapacity; i++)
        {
            block.Next();
        }

        var e = Should.Throw<LabAddressExhaustedException>(() => block.Next());

        e.Message.ShouldContain("127.62.0.0/16");
        e.Message.ShouldContain(LoopbackBlock.HostCapacity.ToString(System.Globalization.CultureInfo.InvariantCulture));
        block.Given.ShouldBe(LoopbackBlock.HostCapacity);
    }

    [Fact]
    public void Rent_EveryBlockHeld_RefusesClearly()
    {
        var pool = new LoopbackBlockPool(63, 65);
        var held = Enumerable.Range(0, 3).Select(_ => pool.Rent()).ToList();

        var e = Should.Throw<LabAddressExhaustedException>(() => pool.Rent());

        e.Message.ShouldContain("127.63.0.0/16 to 127.65.0.0/16");
        held.Select(b => b.Octet).Distinct().Count().ShouldBe(3);
        held.ForEach(b => b.Dispose());
    }

    [Fact]
    public void Dispose_BlockGivenBack_RentedAgainAndFreshFromItsFirstAddress()
    {
        var pool = new LoopbackBlockPool(66, 67);
        var a = pool.Rent();
        using var b = pool.Rent();
        a.Next();
        a.Dispose();
        a.Dispose();

        using var again = pool.Rent();

        again.Octet.ShouldBe(a.Octet);
        again.Next().ShouldBe(IPAddress.Parse($"127.{a.Octet}.0.1"));
        pool.InUse.ShouldBe(2);
        Should.Throw<ObjectDisposedException>(() => a.Next());
    }

    [Fact]
    public void Rent_ManyLabsOneAfterAnother_RoundRobinThenReuse()
    {
        var pool = new LoopbackBlockPool(68, 71);
        var octets = new List<byte>();
        for (var i = 0; i < 40; i++)
        {
            using var block = pool.Rent();
            octets.Add(block.Octet);
        }

        // A block just given back is the last to be taken again.
        octets.Take(4).ShouldBe(new byte[] { 68, 69, 70, 71 });
        octets.Distinct().Count().ShouldBe(4);
        pool.InUse.ShouldBe(0);
    }

    [Fact]
    public void CaptureFilter_Block_IsItsNetInPcapSyntax()
    {
        var pool = new LoopbackBlockPool(72, 72);
        using var block = pool.Rent();

        block.CaptureFilter.ShouldBe("net 127.72.0.0/16");
        block.Cidr.ShouldBe("127.72.0.0/16");
        block.Contains(IPAddress.Parse("127.72.255.254")).ShouldBeTrue();
        block.Contains(IPAddress.Parse("127.73.0.1")).ShouldBeFalse();
        block.Contains(IPAddress.Parse("::ffff:127.72.0.9")).ShouldBeTrue();
    }

    [Fact]
    public async Task Next_ManyThreadsAtOnce_NoAddressRepeats()
    {
        var pool = new LoopbackBlockPool(73, 73);
        using var block = pool.Rent();
        var bags = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() => Enumerable.Range(0, 5000).Select(_ => block.Next()).ToList(), TestContext.Current.CancellationToken)));

        bags.SelectMany(b => b).Distinct().Count().ShouldBe(40_000);
    }

    [Fact]
    public void Constructor_RangeOutsideLoopback_Refused()
    {
        Should.Throw<ArgumentOutOfRangeException>(() => new LoopbackBlockPool(0, 10));
        Should.Throw<ArgumentOutOfRangeException>(() => new LoopbackBlockPool(200, 255));
        Should.Throw<ArgumentOutOfRangeException>(() => new LoopbackBlockPool(20, 10));
    }

    [Fact]
    public void Rent_TwoPoolsOverOneRange_NeverTheSameBlock()
    {
        // Two pools stand for two PoapLab processes: the abstract socket, not the pool, holds a block for the host.
        var one = new LoopbackBlockPool(74, 75);
        var other = new LoopbackBlockPool(74, 75);
        using var a = one.Rent();
        using var b = other.Rent();

        b.Octet.ShouldNotBe(a.Octet);
        var e = Should.Throw<LabAddressExhaustedException>(() => other.Rent());
        e.Message.ShouldContain("127.74.0.0/16 to 127.75.0.0/16");
        e.Message.ShouldContain("1 of them by another PoapLab process on this host");
        a.Dispose();
        // Until a child another test forks in this process has exec'd, it holds a copy of the claim (see below).
        WaitUntilReleased(a.Octet);
        using var c = other.Rent();
        c.Octet.ShouldBe(a.Octet);
    }

    [Fact]
    public async Task Rent_BlockHeldByAnotherProcess_SkippedUntilThatProcessIsKilled()
    {
        var python = Requires.Tool("python3", "apt-get install python3");
        // Another process (or a hostile one squatting the name) holds 127.54: no lab here may share its addresses.
        var start = new ProcessStartInfo(python) { RedirectStandardInput = true, RedirectStandardOutput = true, UseShellExecute = false };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add($"import socket, sys\ns = socket.socket(socket.AF_UNIX)\ns.bind('\\0{LoopbackBlockPool.ClaimName(54)}')\nprint('held', flush=True)\nsys.stdin.read()\n");
        using var holder = Process.Start(start)!;
        try
        {
            (await holder.StandardOutput.ReadLineAsync(TestContext.Current.CancellationToken)).ShouldBe("held");
            var pool = new LoopbackBlockPool(54, 55);

            using (var block = pool.Rent())
            {
                block.Octet.ShouldBe((byte)55);
                Should.Throw<LabAddressExhaustedException>(() => pool.Rent()).Message.ShouldContain("another PoapLab process");
            }

            // kill -9: the kernel gives the name back with the process, nothing to clean up.
            holder.Kill();
            await holder.WaitForExitAsync(TestContext.Current.CancellationToken);
            using var first = pool.Rent();
            using var second = pool.Rent();
            new[] { first.Octet, second.Octet }.Order().ShouldBe(new byte[] { 54, 55 });
        }
        finally
        {
            if (!holder.HasExited)
            {
                holder.Kill();
            }
        }
    }

    [Fact]
    public void Rent_Block_ClaimIsNotInheritedByChildren()
    {
        var pool = new LoopbackBlockPool(58, 58);
        using var block = pool.Rent();

        // The claim is close-on-exec: a script or a real server started now does not hold the block after the lab ends.
        var fd = ClaimDescriptor(58);
        var flags = File.ReadLines($"/proc/self/fdinfo/{fd}").First(l => l.StartsWith("flags:", StringComparison.Ordinal));
        (Convert.ToInt32(flags["flags:".Length..].Trim(), 8) & 0x80000).ShouldNotBe(0, "O_CLOEXEC");
        block.Dispose();
        // A child another test forks in this process holds a copy of every descriptor until its
        // exec closes the close-on-exec ones: the name may outlive the dispose by that moment.
        WaitUntilReleased(58);
    }

    [Fact]
    public async Task Rent_OwnBlockStillHeldByAForkedChild_WaitsForItsExecAndTakesIt()
    {
        var pool = new LoopbackBlockPool(76, 76);
        var block = pool.Rent();
        // A dup of the claim stands for a child forked by another thread that has not exec'd yet.
        var copy = Dup(ClaimDescriptor(76));
        block.Dispose();
        var released = Task.Run(async () =>
        {
            await Task.Delay(150, TestContext.Current.CancellationToken);
            Close(copy);
        }, TestContext.Current.CancellationToken);
        var watch = Stopwatch.StartNew();

        using var again = pool.Rent();

        watch.Elapsed.ShouldBeGreaterThan(TimeSpan.FromMilliseconds(100), "taken while the copy still held the name");
        again.Octet.ShouldBe((byte)76);
        await released;
    }

    [Fact]
    public void Rent_OwnBlockHeldOnAndOn_RefusedAfterTheBoundNotHung()
    {
        var pool = new LoopbackBlockPool(77, 77);
        var block = pool.Rent();
        // Attack: whatever holds the name after the block came back (a child that never execs, or
        // another process that took it in between) makes Rent fail in bounded time.
        var copy = Dup(ClaimDescriptor(77));
        block.Dispose();
        try
        {
            var watch = Stopwatch.StartNew();

            var e = Should.Throw<LabAddressExhaustedException>(() => pool.Rent());

            watch.Elapsed.ShouldBeLessThan(TimeSpan.FromSeconds(5));
            e.Message.ShouldContain("127.77.0.0/16");
            e.Message.ShouldContain("another PoapLab process");
            pool.InUse.ShouldBe(0);
        }
        finally
        {
            Close(copy);
        }
        WaitUntilReleased(77);
        using var later = pool.Rent();
        later.Octet.ShouldBe((byte)77);
    }

    /// <summary>This process's descriptor of the claim socket of 127.<paramref name="octet"/>.</summary>
    private static int ClaimDescriptor(byte octet)
    {
        var line = File.ReadLines("/proc/net/unix").Single(l => l.EndsWith(" @" + LoopbackBlockPool.ClaimName(octet), StringComparison.Ordinal));
        var inode = line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[6];
        var fd = Directory.GetFiles("/proc/self/fd").Single(f => TryReadLink(f) == $"socket:[{inode}]");
        return int.Parse(Path.GetFileName(fd), System.Globalization.CultureInfo.InvariantCulture);
    }

    private static int Dup(int fd)
    {
        var copy = NativeDup(fd);
        copy.ShouldBeGreaterThanOrEqualTo(0, $"dup({fd}) failed: errno {Marshal.GetLastPInvokeError()}");
        return copy;
    }

    private static void Close(int fd) => NativeClose(fd).ShouldBe(0);

    [DllImport("libc", EntryPoint = "dup", SetLastError = true)]
    private static extern int NativeDup(int fd);

    [DllImport("libc", EntryPoint = "close", SetLastError = true)]
    private static extern int NativeClose(int fd);

    /// <summary>Waits (2 s at most) until no socket holds the claim of 127.<paramref name="octet"/>; fails past that.</summary>
    private static void WaitUntilReleased(byte octet)
    {
        var gone = false;
        for (var i = 0; i < 200 && !gone; i++)
        {
            gone = !File.ReadLines("/proc/net/unix").Any(l => l.EndsWith(" @" + LoopbackBlockPool.ClaimName(octet), StringComparison.Ordinal));
            if (!gone)
            {
                Thread.Sleep(10);
            }
        }
        gone.ShouldBeTrue($"the claim {LoopbackBlockPool.ClaimName(octet)} is still bound 2 s after the block was returned");
    }

    private static string? TryReadLink(string path)
    {
        try
        {
            return new FileInfo(path).LinkTarget;
        }
        catch (IOException)
        {
            return null;
        }
    }
}
