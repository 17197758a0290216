using System.Net;
using PoapLab.Core.Events;

namespace PoapLab.Core.Tests.Events;

/// <summary>The data fields of a recorded event, read through <see cref="LabEvent.Data"/>.</summary>
public sealed class EventFieldsTests
{
    private enum Colour
    {
        Red,
    }

    [Fact]
    public void Data_FieldsGiven_InTheirOrderNullsLeftOut()
    {
        var e = new Timeline().Record("s", "k", "m", ("b", "1"), ("a", null), ("c", 3));

        e.Data.Keys.ShouldBe(["b", "c"]);
        e.Data.Values.ShouldBe(["1", "3"]);
        e.Data.Count.ShouldBe(2);
        e.Data.ContainsKey("a").ShouldBeFalse();
        e.Get("a").ShouldBeNull();
        Should.Throw<KeyNotFoundException>(() => e.Data["a"]);
    }

    [Fact]
    public void Data_KeyGivenTwice_LastValueInItsFirstPlace()
    {
        var e = new Timeline().Record("s", "k", "m", ("x", "1"), ("y", "2"), ("x", "3"));

        e.Data.ToList().ShouldBe([new KeyValuePair<string, string>("x", "3"), new KeyValuePair<string, string>("y", "2")]);
    }

    [Fact]
    public void Data_ValuesOfEveryKind_FormattedInvariantly()
    {
        var e = new Timeline().Record("s", "k", "m", ("d", 1.5), ("t", TimeSpan.FromSeconds(2)), ("e", Colour.Red), ("b", true), ("l", 12345678901L));

        e.Get("d").ShouldBe("1.5");
        e.Get("t").ShouldBe("00:00:02");
        e.Get("e").ShouldBe("Red");
        e.Get("b").ShouldBe("True");
        e.Get("l").ShouldBe("12345678901");
    }

    [Fact]
    public void Data_ValueThatCanChange_FormattedAsRecorded()
    {
        var endpoint = new IPEndPoint(IPAddress.Loopback, 68);
        var list = new System.Text.StringBuilder("before");

        var e = new Timeline().Record("s", "k", "m", ("from", endpoint), ("text", list));
        endpoint.Port = 99;
        list.Clear().Append("after");

        e.Get("from").ShouldBe("127.0.0.1:68");
        e.Get("text").ShouldBe("before");
    }

    [Fact]
    public void Data_EventTextValue_MadeWhenFirstReadOnlyOnce()
    {
        var made = 0;
        var e = new Timeline().Record("s", "k", "m", ("options", new EventText(() => $"made {++made}")));

        made.ShouldBe(0);
        e.Get("options").ShouldBe("made 1");
        e.Data.Values.Single().ShouldBe("made 1");
        made.ShouldBe(1);
    }

    [Fact]
    public void Data_NoFields_Empty()
    {
        var e = new Timeline().Record("s", "k", "m");

        e.Data.Count.ShouldBe(0);
        e.Data.ShouldBeEmpty();
    }
}
