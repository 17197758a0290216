using System.Diagnostics;
using PoapLab.Testing;

namespace PoapLab.Switch.Tests.Script;

/// <summary>
/// The bridge's Python client (<c>_poaplab_bridge.call</c>) against signal handlers that call it
/// at any moment of a call of the same thread: a POAP script's SIGTERM handler logs through
/// <c>syslog</c> while its main code waits in <c>cli</c>, and an abort lands wherever it lands.
/// Run on the host with a stand-in bridge server, so thousands of interruptions cost a second.
/// </summary>
public sealed class BridgeClientSignalTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("poaplab-bridge-signal-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    // A bridge server that answers every line with an ok, and a main loop of 20,000 calls
    // while SIGALRM every 2 ms runs a handler that makes a call of its own. A handler that
    // lands between the lock being taken and the call marked as under way (or released a
    // bytecode after the mark was cleared) waited for the lock its own thread held: the
    // script hung until the host's grace ran out (seen in CI as a SIGTERM handler's exit
    // status lost), and here the handlers pile up until the recursion limit.
    private const string Stress = """
        import os, sys, signal, socket, threading
        sys.path.insert(0, sys.argv[1])
        import _poaplab_bridge as bridge
        bridge.SOCKET_PATH = sys.argv[2]
        server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        server.bind(bridge.SOCKET_PATH)
        server.listen(64)
        def serve(conn):
            try:
                for line in conn.makefile('rb'):
                    conn.sendall(b'{"status":"ok","output":""}\n')
            except OSError:
                pass
            finally:
                conn.close()
        def accept():
            while True:
                conn, _ = server.accept()
                threading.Thread(target=serve, args=(conn,), daemon=True).start()
        threading.Thread(target=accept, daemon=True).start()
        handled = [0]
        def on_alarm(signum, frame):
            bridge.call('syslog', message='tick')
            handled[0] += 1
        signal.signal(signal.SIGALRM, on_alarm)
        signal.setitimer(signal.ITIMER_REAL, 0.002, 0.002)
        for i in range(20000):
            bridge.call('cli', command='show version')
        signal.setitimer(signal.ITIMER_REAL, 0)
        print('done after %d handler calls' % handled[0])
        """;

    [Fact]
    public async Task Call_SignalHandlerCallsAtAnyMomentOfACall_NeverWaitsOnItsOwnThread()
    {
        var python = Requires.Tool("python3", "apt-get install python3");
        var program = Path.Combine(_dir, "stress.py");
        await File.WriteAllTextAsync(program, Stress, TestContext.Current.CancellationToken);
        var start = new ProcessStartInfo(python) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[] { "-s", program, Path.Combine(RepoPaths.Root, "src", "PoapLab.Switch", "Script", "Python"), Path.Combine(_dir, "b.sock") })
        {
            start.ArgumentList.Add(arg);
        }
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        using (var limit = new CancellationTokenSource(TimeSpan.FromSeconds(60)))
        {
            try
            {
                await process.WaitForExitAsync(limit.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync(TestContext.Current.CancellationToken);
                throw new TimeoutException("the script hung: a signal handler's bridge call waited on the call it interrupted");
            }
        }
        var output = await stdout;

        process.ExitCode.ShouldBe(0, output + await stderr);
        output.ShouldStartWith("done after ");
        int.Parse(output["done after ".Length..].Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture).ShouldBeGreaterThan(0);
    }
}
