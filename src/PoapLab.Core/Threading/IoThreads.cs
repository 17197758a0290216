using System.Runtime.CompilerServices;

namespace PoapLab.Core.Threading;

/// <summary>
/// The switch's UDP sockets and the TFTP server's transfer sockets continue after a receive on
/// the <see cref="Sockets.DatagramReactor"/>'s one thread, and with the runtime's
/// <c>DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=1</c> (README: *How a scenario becomes packets*)
/// every other socket's read or write continues on the thread that polled it (epoll), not after
/// a hop to the thread pool: a fleet's lock-step exchanges (a TFTP block is one read and one
/// write at each end) then cost no thread wake-up each. While such a continuation runs, no other
/// socket of that thread is served, so code that computes or blocks after a socket await
/// (a bridge call's CLI command, what follows a transfer, a script's sandbox start, a TFTP
/// server's short poll) leaves the polling thread first with <see cref="LeaveAsync"/>. On the
/// pool already, nothing changes.
/// </summary>
public static class IoThreads
{
    /// <summary>
    /// Continues on a thread-pool thread: at once when the caller is on one already, else
    /// (a socket's polling thread, a thread of our own) after one hop. Awaited directly
    /// (<c>await IoThreads.LeaveAsync();</c>): like <c>Task.Yield</c>, the hop is queued only when
    /// the await registers its continuation, so the caller can never resume on the thread it left.
    /// </summary>
    public static PoolHop LeaveAsync() => new(!Thread.CurrentThread.IsThreadPoolThread);

    /// <summary>The awaitable of <see cref="LeaveAsync"/>.</summary>
    public readonly struct PoolHop(bool hop) : ICriticalNotifyCompletion
    {
        /// <summary>Whether the caller goes on where it is (it is on the pool already).</summary>
        public bool IsCompleted => !hop;

        /// <summary>The awaiter (itself).</summary>
        public PoolHop GetAwaiter() => this;

        /// <summary>Nothing to return.</summary>
        public void GetResult()
        {
        }

        /// <inheritdoc/>
        public void OnCompleted(Action continuation) =>
            ThreadPool.QueueUserWorkItem(static c => c(), continuation, preferLocal: false);

        /// <inheritdoc/>
        public void UnsafeOnCompleted(Action continuation) =>
            ThreadPool.UnsafeQueueUserWorkItem(static c => c(), continuation, preferLocal: false);
    }
}
