using System.Net;
using System.Net.Sockets;

namespace PoapLab.Lab.Addressing;

/// <summary>
/// The loopback blocks labs take their addresses from: one 127.B.0.0/16 per lab, B from a
/// fixed range, taken when a lab is made and given back when it is disposed. Linux routes the
/// whole of 127.0.0.0/8 to the loopback interface (RFC 1122 §3.2.1.3), so every address of a
/// block can be bound without root. A block is held for the whole host (the network
/// namespace, as <c>lo</c> is): besides this pool's own bookkeeping, a lab holds an
/// abstract Unix socket named after its block (unix(7)), so two PoapLab processes never
/// share a block — their switches, servers and captures (<see cref="LoopbackBlock.CaptureFilter"/>)
/// would see each other's traffic — and the kernel gives the name back when the process
/// ends, even by <c>kill -9</c>. Thread-safe.
/// </summary>
public sealed class LoopbackBlockPool
{
    /// <summary>The first second octet of the shared pool (127.80.0.0/16).</summary>
    public const int SharedFirst = 80;

    /// <summary>The last second octet of the shared pool (127.254.0.0/16).</summary>
    public const int SharedLast = 254;

    private const int OwnReleaseAttempts = 100;
    private static readonly TimeSpan OwnReleasePause = TimeSpan.FromMilliseconds(10);

    private readonly Lock _gate = new();
    private readonly bool[] _taken;
    private readonly bool[] _returned;
    private int _next;

    /// <summary>The pool every lab of this process uses unless told otherwise.</summary>
    public static LoopbackBlockPool Shared { get; } = new(SharedFirst, SharedLast);

    /// <summary>A pool of the blocks 127.<paramref name="first"/>.0.0/16 to 127.<paramref name="last"/>.0.0/16.</summary>
    public LoopbackBlockPool(int first, int last)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(first, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(last, 254);
        ArgumentOutOfRangeException.ThrowIfLessThan(last, first);
        First = first;
        Last = last;
        _taken = new bool[last - first + 1];
        _returned = new bool[_taken.Length];
    }

    /// <summary>The first block's second octet.</summary>
    public int First { get; }

    /// <summary>The last block's second octet.</summary>
    public int Last { get; }

    /// <summary>How many blocks the pool holds: at most that many labs exist at once.</summary>
    public int Capacity => _taken.Length;

    /// <summary>How many blocks labs hold now.</summary>
    public int InUse
    {
        get { lock (_gate) { return _taken.Count(t => t); } }
    }

    /// <summary>
    /// Takes a free block (round robin, so a block just given back is the last to be taken
    /// again and a late datagram to its addresses finds nobody). When every free block's name is
    /// still bound, and some of them were given back by this pool, it waits for those (at most
    /// a second, other rents and returns waiting with it) before it refuses.
    /// </summary>
    /// <exception cref="LabAddressExhaustedException">Every block is held by a lab.</exception>
    public LoopbackBlock Rent()
    {
        lock (_gate)
        {
            var elsewhere = new List<int>();
            for (var i = 0; i < _taken.Length; i++)
            {
                var index = (_next + i) % _taken.Length;
                if (_taken[index])
                {
                    continue;
                }
                if (TryTake(index) is { } block)
                {
                    return block;
                }
                elsewhere.Add(index);
            }

            // A block this pool gave back may still be claimed for a moment: a child forked by
            // another thread of this process holds a copy of every descriptor until its exec
            // closes the close-on-exec ones. Only that holder goes away by itself; wait for it,
            // bounded, rather than report another PoapLab process.
            var own = elsewhere.Where(index => _returned[index]).ToList();
            for (var attempt = 0; attempt < OwnReleaseAttempts && own.Count > 0; attempt++)
            {
                Thread.Sleep(OwnReleasePause);
                foreach (var index in own)
                {
                    if (TryTake(index) is { } block)
                    {
                        return block;
                    }
                }
            }

            var others = elsewhere.Count == 0 ? "" : $" ({elsewhere.Count} of them by another PoapLab process on this host)";
            throw new LabAddressExhaustedException(
                $"every loopback block (127.{First}.0.0/16 to 127.{Last}.0.0/16, {Capacity} labs) is held by a running lab{others}: at most {Capacity} labs run at once; end one first (lower --parallel)");
        }
    }

    /// <summary>Claims block <paramref name="index"/> for the host and marks it taken; null when another socket holds its name. Under the gate.</summary>
    private LoopbackBlock? TryTake(int index)
    {
        var octet = (byte)(First + index);
        if (!TryClaim(octet, out var claim))
        {
            return null;
        }
        _taken[index] = true;
        _returned[index] = false;
        _next = (index + 1) % _taken.Length;
        return new LoopbackBlock(this, octet, claim);
    }

    /// <summary>The abstract socket name that holds 127.<paramref name="octet"/>.0.0/16 for the host, e.g. <c>poaplab/loopback/127.80</c>.</summary>
    public static string ClaimName(byte octet) => $"poaplab/loopback/127.{octet}";

    /// <summary>
    /// Binds the block's abstract socket; false when another socket holds the name (another
    /// process's lab, or another pool of this process). .NET makes sockets close-on-exec, so no
    /// child (a script, a real server) inherits the claim. Abstract names are Linux's: elsewhere
    /// only this pool's bookkeeping holds a block.
    /// </summary>
    private static bool TryClaim(byte octet, out Socket? claim)
    {
        claim = null;
        if (!OperatingSystem.IsLinux())
        {
            return true;
        }
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            socket.Bind(new UnixDomainSocketEndPoint("\0" + ClaimName(octet)));
            claim = socket;
            return true;
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.AddressAlreadyInUse)
        {
            socket.Dispose();
            return false;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    internal void Return(byte octet)
    {
        lock (_gate)
        {
            _taken[octet - First] = false;
            _returned[octet - First] = true;
        }
    }
}

/// <summary>A lab's address plan cannot give an address: its pool or its block is used up.</summary>
public sealed class LabAddressExhaustedException(string message) : InvalidOperationException(message);

/// <summary>
/// One lab's addresses: the loopback block 127.B.0.0/16, given out one host address at a
/// time (servers and switches alike; x.y.z.0 and x.y.z.255 are never given), 65,024 in all.
/// Disposing gives the block back to its pool; addresses given out before must no longer be
/// used. Thread-safe.
/// </summary>
public sealed class LoopbackBlock : IDisposable
{
    /// <summary>How many host addresses one block gives: 256 × 254.</summary>
    public const int HostCapacity = 256 * 254;

    private readonly LoopbackBlockPool _pool;
    private readonly Socket? _claim;
    private int _given;
    private int _disposed;

    internal LoopbackBlock(LoopbackBlockPool pool, byte octet, Socket? claim)
    {
        _pool = pool;
        _claim = claim;
        Octet = octet;
        Network = new IPAddress([127, octet, 0, 0]);
    }

    /// <summary>B in 127.B.0.0/16.</summary>
    public byte Octet { get; }

    /// <summary>127.B.0.0.</summary>
    public IPAddress Network { get; }

    /// <summary>16.</summary>
    public int PrefixLength => 16;

    /// <summary>The block in CIDR notation, e.g. <c>127.80.0.0/16</c>.</summary>
    public string Cidr => $"{Network}/{PrefixLength}";

    /// <summary>A pcap-filter(7) expression that selects the lab's traffic, e.g. <c>net 127.80.0.0/16</c>.</summary>
    public string CaptureFilter => $"net {Cidr}";

    /// <summary>How many addresses were given so far.</summary>
    public int Given => Volatile.Read(ref _given);

    /// <summary>Whether <paramref name="address"/> lies in this block.</summary>
    public bool Contains(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }
        var bytes = address.GetAddressBytes();
        return bytes.Length == 4 && bytes[0] == 127 && bytes[1] == Octet;
    }

    /// <summary>The next unused host address of the block.</summary>
    /// <exception cref="LabAddressExhaustedException">All <see cref="HostCapacity"/> addresses were given.</exception>
    /// <exception cref="ObjectDisposedException">The block was given back.</exception>
    public IPAddress Next()
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        var n = Interlocked.Increment(ref _given) - 1;
        if (n >= HostCapacity)
        {
            Interlocked.Decrement(ref _given);
            throw new LabAddressExhaustedException(
                $"the lab's loopback block {Cidr} has no address left: it holds {HostCapacity} hosts (servers and switches together); run fewer switches in one scenario");
        }
        return new IPAddress([127, Octet, (byte)(n / 254), (byte)(n % 254 + 1)]);
    }

    /// <summary>Gives the block back to its pool (once).</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _claim?.Dispose();
            _pool.Return(Octet);
        }
    }

    /// <inheritdoc />
    public override string ToString() => Cidr;
}
