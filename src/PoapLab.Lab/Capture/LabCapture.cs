using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;
using PacketDotNet;
using SharpPcap;
using SharpPcap.LibPcap;

namespace PoapLab.Lab.Capture;

/// <summary>
/// Records a lab's traffic into a pcapng file with libpcap (SharpPcap). Two shapes:
/// <see cref="OnLoopback"/> for the virtual transport, where the lab's hosts are loopback
/// addresses and every frame is rewritten to the frame the lab would have carried (see
/// <see cref="ICaptureAddressBook"/>); <see cref="OnInterface"/> for a real segment (a
/// bridge or veth, optionally inside a network namespace), written as seen. The file is
/// bounded (<see cref="LabCaptureOptions.PayloadCapBytes"/>, <see cref="LabCaptureOptions.MaxFileBytes"/>);
/// what was cut, left out or dropped by the kernel is counted in the file's last block
/// and in <c>capture.txt</c> beside it. Capturing needs CAP_NET_RAW: without it (or
/// without libpcap) nothing is captured, <see cref="Unavailable"/> says why in one line,
/// and nothing throws — a run never fails for its capture. Disposing stops the capture
/// thread, reads what the kernel still holds (bounded by <see cref="LabCaptureOptions.DrainTimeout"/>)
/// and closes the device and the file.
/// </summary>
public sealed class LabCapture : IAsyncDisposable
{
    private const int ReadTimeoutMs = 100;
    internal const int SnapLength = 262144;
    private const int StatisticsReserve = 1024;
    private const int CloneNewNet = 0x40000000;

    private readonly LabCaptureOptions _options;
    private readonly string _interfaceName;
    private readonly string? _namespacePath;
    private readonly LoopbackFrameTranslator? _translator;
    private readonly TaskCompletionSource<string?> _opened = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _finished = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile bool _stopRequested;
    private int _disposed;
    private int _summaryWritten;
    private long _frames;
    private long _truncated;
    private long _leftOut;
    private long _foreign;
    private ulong _kernelReceived;
    private ulong _kernelDropped;

    private LabCapture(LabCaptureOptions options, string interfaceName, string? namespacePath, LoopbackFrameTranslator? translator)
    {
        _options = options;
        _interfaceName = interfaceName;
        _namespacePath = namespacePath;
        _translator = translator;
    }

    /// <summary>Why nothing is being captured (one line), or null while capturing.</summary>
    public string? Unavailable { get; private set; }

    /// <summary>True when the device is open and frames are being written.</summary>
    public bool IsCapturing => Unavailable is null && !_finished.Task.IsCompleted;

    /// <summary>The one-line account of the capture (also written to <c>capture.txt</c>); final once disposed.</summary>
    public string Summary => Unavailable is { } why
        ? $"no capture: {why}"
        : $"{System.IO.Path.GetFileName(_options.Path)}: {Interlocked.Read(ref _frames)} frames written, {Interlocked.Read(ref _truncated)} cut to their headers beyond {_options.PayloadCapBytes >> 20} MiB, {Interlocked.Read(ref _leftOut)} left out beyond {_options.MaxFileBytes >> 20} MiB, {_kernelDropped} dropped by the kernel";

    /// <summary>Frames written to the file.</summary>
    public long Frames => Interlocked.Read(ref _frames);

    /// <summary>Frames written with fewer bytes than they had (caplen &lt; len) because the file reached the payload cap.</summary>
    public long Truncated => Interlocked.Read(ref _truncated);

    /// <summary>Frames not written because the file reached its maximum size.</summary>
    public long LeftOut => Interlocked.Read(ref _leftOut);

    /// <summary>Frames the filter let through that were not between this lab's hosts (virtual transport only).</summary>
    public long Foreign => Interlocked.Read(ref _foreign);

    /// <summary>Frames the kernel dropped because the capture thread fell behind (pcap_stats(3PCAP) ps_drop); known once disposed.</summary>
    public ulong KernelDropped => _kernelDropped;

    /// <summary>Frames the kernel handed to the capture (pcap_stats(3PCAP) ps_recv: on <c>lo</c> the received copies only); known once disposed.</summary>
    public ulong KernelReceived => _kernelReceived;

    /// <summary>Whether the kernel keeps the sent copy of every <c>lo</c> frame from the capture (PACKET_IGNORE_OUTGOING).</summary>
    public bool IgnoresOutgoing { get; private set; }

    /// <summary>
    /// Captures the virtual transport on <c>lo</c>: <see cref="LabCaptureOptions.Filter"/>
    /// narrows to the lab's loopback block, <paramref name="book"/> rewrites every frame to
    /// lab addresses and ports and leaves out what is not between this lab's hosts.
    /// </summary>
    public static LabCapture OnLoopback(LabCaptureOptions options, ICaptureAddressBook book)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(book);
        return Start(new LabCapture(options, "lo", null, new LoopbackFrameTranslator(book)));
    }

    /// <summary>
    /// Captures a real interface (the lab bridge of the namespace transport) as is. With
    /// <paramref name="networkNamespace"/> (a path such as <c>/proc/&lt;pid&gt;/ns/net</c>) the
    /// device is opened from a thread that has joined that namespace (setns(2)).
    /// </summary>
    public static LabCapture OnInterface(LabCaptureOptions options, string interfaceName, string? networkNamespace = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrEmpty(interfaceName);
        return Start(new LabCapture(options, interfaceName, networkNamespace, null));
    }

    private static LabCapture Start(LabCapture capture)
    {
        var thread = new Thread(capture.Run) { IsBackground = true, Name = "lab-capture " + capture._interfaceName };
        thread.Start();
        // Opening takes milliseconds; the bound only guards against a wedged libpcap.
        var why = capture._opened.Task.Wait(TimeSpan.FromSeconds(30)) ? capture._opened.Task.Result : "the capture device did not open within 30 s";
        if (why is not null)
        {
            capture._stopRequested = true;
            capture.Unavailable = OneLine(why);
            capture.WriteSummaryFile();
        }
        return capture;
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        _stopRequested = true;
        try
        {
            await _finished.Task.WaitAsync(_options.DrainTimeout + TimeSpan.FromSeconds(10), _options.TimeProvider).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // A wedged libpcap read: the run is over all the same; the thread ends with the process.
            Unavailable ??= "the capture thread did not stop in time; the file may be incomplete";
        }
        WriteSummaryFile();
    }

    private void Run()
    {
        LibPcapLiveDevice? device = null;
        PcapNgWriter? writer = null;
        try
        {
            var why = Open(out device);
            if (why is null)
            {
                try
                {
                    writer = new PcapNgWriter(
                        new FileStream(_options.Path, FileMode.CreateNew, FileAccess.Write, FileShare.Read, 1 << 16),
                        (ushort)device!.LinkType, _interfaceName, SnapLength);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    why = $"cannot create {_options.Path}: {e.Message}";
                }
            }
            _opened.TrySetResult(why);
            if (why is null)
            {
                Loop(device!, writer!);
                var stats = device!.Statistics;
                _kernelReceived = stats.ReceivedPackets;
                _kernelDropped = stats.DroppedPackets;
                writer!.WriteStatistics(_options.TimeProvider.GetUtcNow(), _kernelReceived, _kernelDropped, Summary);
                writer.SetComment(Summary);
            }
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Whatever goes wrong on the capture thread ends the capture, never the process
            // (an exception escaping a thread would) and never the run.
            if (!_opened.TrySetResult($"capture on {_interfaceName} failed: {e.Message}"))
            {
                Unavailable ??= OneLine($"capture on {_interfaceName} stopped: {e.Message}");
            }
        }
        finally
        {
            writer?.Dispose();
            device?.Dispose();
            _finished.TrySetResult();
        }
    }

    private string? Open(out LibPcapLiveDevice? device)
    {
        device = null;
        if (_namespacePath is not null)
        {
            using var ns = File.OpenHandle(_namespacePath, FileMode.Open, FileAccess.Read);
            if (SetNs(ns, CloneNewNet) != 0)
            {
                return $"cannot join network namespace {_namespacePath}: errno {Marshal.GetLastPInvokeError()}";
            }
        }
        var iface = PcapInterface.GetAllPcapInterfaces().FirstOrDefault(i => i.Name == _interfaceName);
        if (iface is null)
        {
            return $"no capture device '{_interfaceName}'";
        }
        device = new LibPcapLiveDevice(iface);
        try
        {
            device.Open(new DeviceConfiguration
            {
                // A bridge hands its own interface only the frames addressed to it (broadcasts,
                // multicasts): promiscuous, it hands up every frame it forwards between ports.
                Mode = _interfaceName == "lo" ? DeviceModes.None : DeviceModes.Promiscuous,
                Snaplen = SnapLength,
                ReadTimeout = ReadTimeoutMs,
                BufferSize = _options.KernelBufferBytes,
                // Not immediate: the kernel hands over blocks of frames (or what it has after
                // the read timeout), one wake-up per block instead of one per frame.
                Immediate = false,
            });
        }
        catch (PcapException e)
        {
            return $"cannot capture on {_interfaceName} ({e.Message.Trim()}): capturing needs CAP_NET_RAW";
        }
        if (_options.Filter is { } filter)
        {
            try
            {
                device.Filter = filter;
            }
            catch (PcapException e)
            {
                return $"capture filter '{filter}' refused: {e.Message.Trim()}";
            }
        }
        if (_interfaceName == "lo")
        {
            IgnoresOutgoing = IgnoreOutgoing(device);
        }
        return null;
    }

    // On lo every frame passes the packet socket twice, as sent and as received. libpcap keeps
    // the received copy, but drops the sent one only after the kernel has filtered it and
    // copied it into the ring — work done in the sender's own system call, for every datagram of
    // every switch. PACKET_IGNORE_OUTGOING (packet(7), Linux 4.20) has the kernel skip the
    // socket for sent frames. libpcap 1.10.3 does not set it for pcap_setdirection(3PCAP) and
    // SharpPcap 6.3.1 has no call for either, so it is set on the pcap handle's descriptor. On a
    // real interface the host's own frames are sent ones, so it is for lo alone. Where it fails
    // (an older kernel, another libpcap) libpcap's own filtering still holds: nothing changes
    // but the cost.
    private static unsafe bool IgnoreOutgoing(PcapDevice device)
    {
        var fd = Fileno(device);
        var one = 1;
        return fd >= 0 && SetSockOpt(fd, SolPacket, PacketIgnoreOutgoing, &one, sizeof(int)) == 0;
    }

    /// <summary>The packet socket under the pcap handle (pcap_fileno(3PCAP)); -1 where libpcap does not say.</summary>
    private static unsafe int Fileno(PcapDevice device)
    {
        var fileno = (delegate* unmanaged<IntPtr, int>)PcapFileno;
        if (fileno == null)
        {
            return -1;
        }
        var handle = device.Handle;
        var added = false;
        try
        {
            handle.DangerousAddRef(ref added);
            return fileno(handle.DangerousGetHandle());
        }
        finally
        {
            if (added)
            {
                handle.DangerousRelease();
            }
        }
    }

    /// <summary>
    /// Waits up to the read timeout for the kernel to hand over frames; false when none came.
    /// Without the descriptor, a tenth of the timeout's sleep stands in for the wait.
    /// </summary>
    private static unsafe bool WaitReadable(int fd)
    {
        if (fd < 0)
        {
            Thread.Sleep(ReadTimeoutMs / 10);
            return false;
        }
        var entry = new PollFd { Fd = fd, Events = PollIn };
        return Poll(&entry, 1, ReadTimeoutMs) > 0;
    }

    private const short PollIn = 1;

    [StructLayout(LayoutKind.Sequential)]
    private struct PollFd
    {
        public int Fd;
        public short Events;
        public short Revents;
    }

    [DllImport("libc", EntryPoint = "poll", SetLastError = true)]
    private static extern unsafe int Poll(PollFd* fds, nuint count, int timeout);

    private const int SolPacket = 263;
    private const int PacketIgnoreOutgoing = 23;

    // pcap_fileno(3PCAP) from the libpcap SharpPcap loaded (the Debian package's soname first),
    // looked up once per process: a lab's every capture would otherwise load the library again.
    private static readonly IntPtr PcapFileno = FindPcapFileno();

    private static IntPtr FindPcapFileno()
    {
        foreach (var name in (ReadOnlySpan<string>)["libpcap.so.0.8", "libpcap.so.1", "libpcap.so"])
        {
            if (NativeLibrary.TryLoad(name, out var library))
            {
                if (NativeLibrary.TryGetExport(library, "pcap_fileno", out var export))
                {
                    return export;
                }
                NativeLibrary.Free(library);
            }
        }
        return IntPtr.Zero;
    }

    // pcap_next_ex(3PCAP) straight from libpcap, in non-blocking mode, with a poll(2) only when
    // the ring is empty: SharpPcap's GetNextPacket polls before every frame (a system call each),
    // and its RawCapture copies every frame and converts its time through decimal arithmetic.
    // Here a frame is looked at in the ring and copied only when it is one of the lab's. (A
    // blocking pcap_next_ex cannot be used: with TPACKET_V3 libpcap waits without a timeout for
    // the kernel to hand over a block, and an idle interface never does.)
    private unsafe void Loop(LibPcapLiveDevice device, PcapNgWriter writer)
    {
        long? drainStarted = null;
        var time = _options.TimeProvider;
        var link = device.LinkType;
        var nanoseconds = device.TimestampResolution == TimestampResolution.Nanosecond;
        device.NonBlockingMode = true;
        var fd = Fileno(device);
        while (true)
        {
            if (_stopRequested)
            {
                drainStarted ??= time.GetTimestamp();
                if (time.GetElapsedTime(drainStarted.Value) > _options.DrainTimeout)
                {
                    return;
                }
            }
            IntPtr header = IntPtr.Zero, data = IntPtr.Zero;
            var status = device.GetNextPacketPointers(ref header, ref data);
            if (status == 0)
            {
                if (!WaitReadable(fd) && _stopRequested)
                {
                    // Nothing more within a read timeout: the kernel buffer is drained.
                    return;
                }
                continue;
            }
            if (status != 1 || header == IntPtr.Zero || data == IntPtr.Zero)
            {
                return;
            }
            var frame = PacketHeader.Read(new ReadOnlySpan<byte>((byte*)header, PacketHeader.Size), out var seconds, out var microseconds, out var original);
            if (nanoseconds)
            {
                microseconds /= 1000;
            }
            var bytes = new ReadOnlySpan<byte>((byte*)data, frame);
            if (_translator is not null && !_translator.MayBeOurs(bytes))
            {
                // Another lab's frame: rejected before it is copied out of the kernel's buffer.
                Interlocked.Increment(ref _foreign);
                continue;
            }
            var copy = bytes.ToArray();
            var at = DateTimeOffset.FromUnixTimeSeconds(seconds).AddTicks(microseconds * TimeSpan.TicksPerMicrosecond);
            if (_options.OnFrame is { } onFrame)
            {
                try
                {
                    onFrame(new RawCapture(link, new PosixTimeval((ulong)seconds, (ulong)microseconds), copy, original));
                }
                catch (Exception e) when (e is not OutOfMemoryException)
                {
                    // The watcher's failure, not the capture's.
                }
            }
            Write(writer, copy, link, at, original);
        }
    }

    /// <summary>
    /// struct pcap_pkthdr (pcap/pcap.h) on Linux: a struct timeval (two longs; the second
    /// microseconds, or nanoseconds for a handle opened with that precision), then the captured
    /// length and the length on the wire (two 32-bit words).
    /// </summary>
    internal static class PacketHeader
    {
        /// <summary>Its size: the two longs of the time and the two lengths.</summary>
        public static readonly int Size = (2 * IntPtr.Size) + 8;

        /// <summary>The captured length; the time and the wire length through the out parameters.</summary>
        public static int Read(ReadOnlySpan<byte> header, out long seconds, out long microseconds, out int original)
        {
            // long is the pointer's size on Linux (LP64, and ILP32 where time_t is 32-bit).
            seconds = MemoryMarshal.Read<nint>(header);
            microseconds = MemoryMarshal.Read<nint>(header[IntPtr.Size..]);
            var captured = MemoryMarshal.Read<uint>(header[(2 * IntPtr.Size)..]);
            var wire = MemoryMarshal.Read<uint>(header[((2 * IntPtr.Size) + 4)..]);
            original = (int)Math.Min(wire, int.MaxValue);
            return (int)Math.Min(captured, SnapLength);
        }
    }

    private void Write(PcapNgWriter writer, byte[] frame, LinkLayers link, DateTimeOffset at, int original)
    {
        // Unknown links: a conservative header length (Ethernet, IPv6, TCP with options).
        var headers = 14 + 60 + 60;
        if (_translator is not null)
        {
            if (link != LinkLayers.Ethernet || _translator.Translate(frame, at) is not { } rewritten)
            {
                Interlocked.Increment(ref _foreign);
                return;
            }
            original += rewritten.Frame.Length - frame.Length;
            (frame, headers) = rewritten;
        }
        var keep = frame.Length;
        if (writer.Length >= _options.PayloadCapBytes)
        {
            keep = Math.Min(keep, headers + _options.PayloadBytesAfterCap);
        }
        if (writer.Length + PcapNgWriter.EnhancedPacketSize(keep) > _options.MaxFileBytes - StatisticsReserve)
        {
            Interlocked.Increment(ref _leftOut);
            return;
        }
        if (keep < frame.Length)
        {
            Interlocked.Increment(ref _truncated);
        }
        writer.WritePacket(at, frame.AsSpan(0, keep), original);
        Interlocked.Increment(ref _frames);
    }

    private static string OneLine(string text) => string.Join(' ', text.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries)).Trim();

    private void WriteSummaryFile()
    {
        if (Interlocked.Exchange(ref _summaryWritten, 1) != 0)
        {
            return;
        }
        try
        {
            var dir = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(_options.Path)) ?? ".";
            using var stream = new FileStream(System.IO.Path.Combine(dir, "capture.txt"), FileMode.CreateNew, FileAccess.Write);
            using var text = new StreamWriter(stream);
            text.WriteLine(Summary);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The summary is a courtesy; the capture file (or its absence) stands without it.
        }
    }

    [DllImport("libc", EntryPoint = "setns", SetLastError = true)]
    private static extern int SetNs(SafeFileHandle fd, int nstype);

    [DllImport("libc", EntryPoint = "setsockopt", SetLastError = true)]
    private static extern unsafe int SetSockOpt(int fd, int level, int name, void* value, int length);
}
