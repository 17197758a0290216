using System.Runtime.CompilerServices;

namespace PoapLab.Core.Threading;

/// <summary>
/// <c>poaplab run</c> runs socket completions inline: the continuation of a socket read or write runs on
/// the thread that polled the socket (epoll), not after a hop to the thread pool
/// (<c>DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=1</c>; see <see cref="InlineCompletionsVariable"/>).
/// A fleet's lock-step exchanges (a TFTP transfer is one read and one write a block at each
/// end) then cost no thread wake-up each. The price: while a continuation runs, no other socket
/// of that polling thread is served. Code that computes or blocks after a socket await (an
/// md5 of an image, a file copied, a process started) leaves the polling thread first with
/// <see cref="LeaveAsync"/>.
/// </summary>
public static class IoThreads
{
    /// <summary>The runtime's switch (read once, when the first socket is polled).</summary>
    public const string InlineCompletionsVariable = "DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS";

    /// <summary>
    /// Turns inline completions on for this process unless the environment already says
    /// (<c>0</c> turns them off). Call first thing in Main, before any socket exists.
    /// </summary>
    /// <returns>Whether they are on.</returns>
    public static bool EnableInlineCompletions()
    {
        var set = Environment.GetEnvironmentVariable(InlineCompletionsVariable);
        if (string.IsNullOrEmpty(set))
        {
            Environment.SetEnvironmentVariable(InlineCompletionsVariable, "1");
            return true;
        }
        return set == "1";
    }

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
