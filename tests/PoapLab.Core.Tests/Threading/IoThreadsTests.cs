using PoapLab.Core.Threading;
using Shouldly;
using Xunit;

namespace PoapLab.Core.Tests.Threading;

public sealed class IoThreadsTests
{
    [Fact]
    public async Task LeaveAsync_OnAThreadOfItsOwn_ContinuesOnThePool()
    {
        var where = new TaskCompletionSource<(bool Before, bool After, int BeforeId, int AfterId)>(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            var (poolBefore, idBefore) = (Thread.CurrentThread.IsThreadPoolThread, Environment.CurrentManagedThreadId);
            // A thread of our own (as a socket's polling thread is) is never left synchronously.
            IoThreads.LeaveAsync().IsCompleted.ShouldBeFalse();
            _ = Continue();

            async Task Continue()
            {
                try
                {
                    await IoThreads.LeaveAsync();
                    where.TrySetResult((poolBefore, Thread.CurrentThread.IsThreadPoolThread, idBefore, Environment.CurrentManagedThreadId));
                }
                catch (Exception e)
                {
                    where.TrySetException(e);
                }
            }
        }) { IsBackground = true, Name = "not the pool" };
        thread.Start();
        var (poolBefore, poolAfter, beforeId, afterId) = await where.Task.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
        poolBefore.ShouldBeFalse();
        poolAfter.ShouldBeTrue();
        afterId.ShouldNotBe(beforeId);
    }

    [Fact]
    public async Task LeaveAsync_OnThePool_StaysWithoutAHop()
    {
        var completedAtOnce = await Task.Run(() =>
        {
            Thread.CurrentThread.IsThreadPoolThread.ShouldBeTrue();
            return IoThreads.LeaveAsync().IsCompleted;
        }, TestContext.Current.CancellationToken);
        completedAtOnce.ShouldBeTrue();
    }
}
