using PoapLab.Core.Events;

namespace PoapLab.Core.Tests.Events;

public sealed class EventTextTests
{
    [Fact]
    public void Format_CalledTwice_MakesTheTextOnce()
    {
        var made = 0;
        var text = new EventText(() => $"text {++made}");

        text.Format().ShouldBe("text 1");
        text.ToString().ShouldBe("text 1");
        made.ShouldBe(1);
    }

    [Fact]
    public void Format_FactoryReturnsNull_Empty() => new EventText(() => null!).Format().ShouldBe("");

    [Fact]
    public void Constructor_NoFactory_Throws() => Should.Throw<ArgumentNullException>(() => new EventText(null!));

    [Fact]
    public void Record_DeferredMessage_MadeWhenReadAndKeptByTheTimeline()
    {
        var made = 0;
        IEventSink sink = new Timeline();

        var e = sink.Record("s", "k", new EventText(() => $"message {++made}"), ("a", "1"));

        made.ShouldBe(0);
        e.Message.ShouldBe("message 1");
        e.Message.ShouldBe("message 1");
        made.ShouldBe(1);
    }

    [Fact]
    public void Record_DeferredMessageToASinkWithoutDeferral_MadeAtOnce()
    {
        var sink = new EagerSink();

        ((IEventSink)sink).Record("s", "k", new EventText(() => "now"));

        sink.Messages.ShouldBe(["now"]);
    }

    private sealed class EagerSink : IEventSink
    {
        public List<string> Messages { get; } = [];

        public LabEvent Record(string source, string kind, string message, params (string Key, object? Value)[] data)
        {
            Messages.Add(message);
            return new LabEvent(1, TimeSpan.Zero, TimeSpan.Zero, source, kind, message, new Dictionary<string, string>());
        }
    }
}
