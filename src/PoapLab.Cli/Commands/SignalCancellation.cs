using System.Runtime.InteropServices;

namespace PoapLab.Cli.Commands;

/// <summary>
/// Ctrl-C and SIGTERM for a long command (<c>run</c>, <c>serve</c>, <c>device</c>): the first
/// signal says what happens next and cancels <see cref="Token"/> (on a pool thread: cancellation
/// callbacks end processes and undo addresses, not work for the signal thread); a second one
/// exits at once with <see cref="RunCommand.CancelledExitCode"/>.
/// </summary>
internal sealed class SignalCancellation : IDisposable
{
    private readonly CancellationTokenSource _cancel;
    private readonly PosixSignalRegistration _sigint;
    private readonly PosixSignalRegistration _sigterm;
    private readonly Action<PosixSignal> _notice;
    private int _signals;

    /// <param name="cancellationToken">Also cancels <see cref="Token"/>.</param>
    /// <param name="notice">Told of the first signal (e.g. to print what stopping will do).</param>
    public SignalCancellation(CancellationToken cancellationToken, Action<PosixSignal> notice)
    {
        _notice = notice;
        _cancel = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        _sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
        _sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
    }

    /// <summary>Cancelled by the first signal or by the token given.</summary>
    public CancellationToken Token => _cancel.Token;

    private void OnSignal(PosixSignalContext context)
    {
        context.Cancel = true;
        if (Interlocked.Increment(ref _signals) > 1)
        {
            Environment.Exit(RunCommand.CancelledExitCode);
        }
        _notice(context.Signal);
        _ = Task.Run(_cancel.Cancel, CancellationToken.None);
    }

    public void Dispose()
    {
        _sigint.Dispose();
        _sigterm.Dispose();
        _cancel.Dispose();
    }
}
