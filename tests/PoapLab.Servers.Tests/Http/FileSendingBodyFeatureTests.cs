using System.IO.Pipelines;
using Microsoft.AspNetCore.Http.Features;
using PoapLab.Servers.Http;

namespace PoapLab.Servers.Tests.Http;

public sealed class FileSendingBodyFeatureTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("poaplab-body-");

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => _dir.Delete(recursive: true);

    private (string Path, byte[] Bytes) WriteFile(int length)
    {
        var bytes = new byte[length];
        new Random(7).NextBytes(bytes);
        var path = Path.Combine(_dir.FullName, "f.bin");
        File.WriteAllBytes(path, bytes);
        return (path, bytes);
    }

    [Fact]
    public async Task SendFileAsync_WholeFileOverSeveralChunks_EveryByteInOrder()
    {
        var (path, bytes) = WriteFile((3 * FileSendingBodyFeature.ChunkSize) + 123);
        var body = new PipeBody();

        var reading = body.ReadAllAsync(Ct);
        await new FileSendingBodyFeature(body).SendFileAsync(path, 0, null, Ct);
        await body.Writer.CompleteAsync();

        (await reading).ShouldBe(bytes);
        body.Started.ShouldBeTrue();
    }

    [Fact]
    public async Task SendFileAsync_Range_OnlyThoseBytes()
    {
        var (path, bytes) = WriteFile(FileSendingBodyFeature.ChunkSize + 10);
        var body = new PipeBody();

        var reading = body.ReadAllAsync(Ct);
        await new FileSendingBodyFeature(body).SendFileAsync(path, 10, FileSendingBodyFeature.ChunkSize, Ct);
        await body.Writer.CompleteAsync();

        (await reading).ShouldBe(bytes.AsSpan(10, FileSendingBodyFeature.ChunkSize).ToArray());
    }

    [Theory]
    [InlineData(-1L, null)]
    [InlineData(1001L, null)]
    [InlineData(0L, 1001L)]
    [InlineData(500L, 501L)]
    [InlineData(0L, -5L)]
    public async Task SendFileAsync_RangeOutsideTheFile_RefusedAndNothingSent(long offset, long? count)
    {
        var (path, _) = WriteFile(1000);
        var body = new PipeBody();

        await Should.ThrowAsync<ArgumentOutOfRangeException>(() => new FileSendingBodyFeature(body).SendFileAsync(path, offset, count, Ct));

        body.Started.ShouldBeFalse();
    }

    [Fact]
    public async Task SendFileAsync_ClientGone_StopsWithoutSendingTheRest()
    {
        var (path, _) = WriteFile(8 * FileSendingBodyFeature.ChunkSize);
        var pipe = new Pipe(new PipeOptions(pauseWriterThreshold: 1024, resumeWriterThreshold: 512, useSynchronizationContext: false));
        var body = new PipeBody(pipe);
        await pipe.Reader.CompleteAsync(); // the connection is gone

        await new FileSendingBodyFeature(body).SendFileAsync(path, 0, null, Ct).WaitAsync(TimeSpan.FromSeconds(30), Ct);

        body.Started.ShouldBeTrue();
    }

    /// <summary>A response body on a pipe, as Kestrel's is.</summary>
    private sealed class PipeBody(Pipe? pipe = null) : IHttpResponseBodyFeature
    {
        private readonly Pipe _pipe = pipe ?? new Pipe(new PipeOptions(useSynchronizationContext: false));

        public bool Started { get; private set; }

        public Stream Stream => _pipe.Writer.AsStream();

        public PipeWriter Writer => _pipe.Writer;

        public void DisableBuffering()
        {
        }

        public Task StartAsync(CancellationToken cancellationToken = default)
        {
            Started = true;
            return Task.CompletedTask;
        }

        public Task SendFileAsync(string path, long offset, long? count, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public Task CompleteAsync() => _pipe.Writer.CompleteAsync().AsTask();

        public async Task<byte[]> ReadAllAsync(CancellationToken cancellationToken)
        {
            var all = new MemoryStream();
            while (true)
            {
                var result = await _pipe.Reader.ReadAsync(cancellationToken);
                foreach (var segment in result.Buffer)
                {
                    all.Write(segment.Span);
                }
                _pipe.Reader.AdvanceTo(result.Buffer.End);
                if (result.IsCompleted)
                {
                    return all.ToArray();
                }
            }
        }
    }
}
