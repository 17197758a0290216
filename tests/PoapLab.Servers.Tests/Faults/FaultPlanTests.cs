using System.Net;
using PoapLab.Servers.Faults;

namespace PoapLab.Servers.Tests.Faults;

public sealed class FaultPlanTests
{
    private static readonly IPEndPoint SwitchA = new(IPAddress.Parse("127.0.0.10"), 68);
    private static readonly IPEndPoint SwitchB = new(IPAddress.Parse("127.0.0.11"), 68);

    private sealed class FakeAttempts(Dictionary<IPEndPoint, int> attempts) : IFaultContext
    {
        public int? AttemptOf(IPEndPoint client) => attempts.TryGetValue(client, out var a) ? a : null;
    }

    private static TftpFault Fault(FaultTrigger when, TftpFaultKind kind = TftpFaultKind.NotFound) => new(kind, when);

    [Fact]
    public void Next_RequestOrdinal_FiresOnlyOnThatRequestPerCounterKey()
    {
        var plan = new FaultPlan<TftpFault>([Fault(new FaultTrigger { Request = 2 })]);

        var a = Enumerable.Range(0, 4).Select(_ => plan.Next(SwitchA, null, "a")).ToList();
        var b = Enumerable.Range(0, 3).Select(_ => plan.Next(SwitchA, null, "b")).ToList();

        a.Select(f => f is not null).ShouldBe([false, true, false, false]);
        b.Select(f => f is not null).ShouldBe([false, true, false]);
    }

    [Fact]
    public void Next_RequestOrdinalWithoutFileFilter_CountsEveryFileOfTheClient()
    {
        var plan = new FaultPlan<TftpFault>([Fault(new FaultTrigger { Request = 2 })]);

        var fired = new[] { "poap.py", "nxos.bin", "poap.py" }.Select(f => plan.Next(SwitchA, f, "a|" + f) is not null).ToList();
        var otherSwitch = plan.Next(SwitchB, "poap.py", "b|poap.py");

        fired.ShouldBe([false, true, false]);
        otherSwitch.ShouldBeNull();
    }

    [Fact]
    public void Next_RequestOrdinalWithFileFilter_CountsThatFileOnly()
    {
        var plan = new FaultPlan<TftpFault>([Fault(new FaultTrigger { Request = 2, File = "poap.py" })]);

        var fired = new[] { "poap.py", "nxos.bin", "poap.py" }.Select(f => plan.Next(SwitchA, f, "a|" + f) is not null).ToList();

        fired.ShouldBe([false, false, true]);
    }

    [Fact]
    public void Next_FromRequest_FiresFromThatRequestOn()
    {
        var plan = new FaultPlan<TftpFault>([Fault(new FaultTrigger { FromRequest = 3 })]);

        var fired = Enumerable.Range(0, 5).Select(_ => plan.Next(SwitchA, null, "k") is not null).ToList();

        fired.ShouldBe([false, false, true, true, true]);
    }

    [Fact]
    public void Next_Attempts_UseContextAndNeverFireWhenUnknown()
    {
        var context = new FakeAttempts(new() { [SwitchA] = 1, [SwitchB] = 2 });
        var plan = new FaultPlan<TftpFault>([Fault(new FaultTrigger { Attempts = [2, 3] })], context);
        var blind = new FaultPlan<TftpFault>([Fault(new FaultTrigger { Attempts = [1] })]);

        plan.Next(SwitchA, null, "a").ShouldBeNull();
        plan.Next(SwitchB, null, "b").ShouldNotBeNull();
        plan.AttemptOf(SwitchB).ShouldBe(2);
        blind.Next(SwitchA, null, "a").ShouldBeNull();
        blind.AttemptOf(SwitchA).ShouldBeNull();
    }

    /// <summary>Knows switches only by hardware address, as a lab does before they have a lease.</summary>
    private sealed class MacAttempts(Dictionary<string, int> attempts) : IFaultContext
    {
        public int? AttemptOf(IPEndPoint client) => null;

        public int? AttemptOfMac(System.Net.NetworkInformation.PhysicalAddress mac) => attempts.TryGetValue(mac.ToString(), out var a) ? a : null;
    }

    private static readonly IPEndPoint Unaddressed = new(IPAddress.Any, 68);

    [Fact]
    public void Next_AttemptKeyedFromUnaddressedClient_FoundByItsMac()
    {
        var context = new MacAttempts(new() { ["00A1B2C3D4E5"] = 1 });
        var plan = new FaultPlan<TftpFault>([Fault(new FaultTrigger { Attempts = [1] })], context);
        var mac = System.Net.NetworkInformation.PhysicalAddress.Parse("00-A1-B2-C3-D4-E5");

        plan.Next(Unaddressed, null, "k", mac: mac).ShouldNotBeNull();
        plan.AttemptOf(Unaddressed, mac).ShouldBe(1);
        // Without the MAC the client at 0.0.0.0 is nobody: an attempt-keyed fault never fires.
        plan.Next(Unaddressed, null, "k").ShouldBeNull();
    }

    [Fact]
    public void Next_AttemptKeyedFromUnknownMac_NeverFires()
    {
        var context = new MacAttempts(new() { ["00A1B2C3D4E5"] = 1 });
        var plan = new FaultPlan<TftpFault>([Fault(new FaultTrigger { Attempts = [1] })], context);
        var stranger = System.Net.NetworkInformation.PhysicalAddress.Parse("02-00-00-00-00-66");

        plan.Next(Unaddressed, null, "k", mac: stranger).ShouldBeNull();
        plan.AttemptOf(Unaddressed, stranger).ShouldBeNull();
    }

    [Theory]
    [InlineData("*.py", "/poap.py", true)]
    [InlineData("*.py", "poap.py", true)]
    [InlineData("images/nxos*.bin", "/images/nxos64-cs.10.3.6.M.bin", true)]
    [InlineData("poap.p?", "poap.py", true)]
    [InlineData("POAP.PY", "poap.py", true)]
    [InlineData("*.py", "poap.py.md5", false)]
    [InlineData("poap.p?", "poap.pyc", false)]
    [InlineData("a.b", "axb", false)]
    public void Next_FileGlob_MatchesWholeNameWithOrWithoutLeadingSlash(string glob, string file, bool fires)
    {
        var plan = new FaultPlan<TftpFault>([Fault(new FaultTrigger { File = glob })]);

        (plan.Next(SwitchA, file, "k") is not null).ShouldBe(fires);
    }

    [Fact]
    public void Next_FileGlob_NoFileNeverMatchesAGlob()
    {
        var plan = new FaultPlan<TftpFault>([Fault(new FaultTrigger { File = "*" })]);

        plan.Next(SwitchA, null, "k").ShouldBeNull();
    }

    [Fact]
    public void Next_OrdinalCountsOnlyMatchingFiles()
    {
        var plan = new FaultPlan<TftpFault>([Fault(new FaultTrigger { File = "*.bin", Request = 2 })]);

        plan.Next(SwitchA, "poap.py", "k").ShouldBeNull();
        plan.Next(SwitchA, "a.bin", "k").ShouldBeNull();
        plan.Next(SwitchA, "poap.py", "k").ShouldBeNull();
        plan.Next(SwitchA, "a.bin", "k").ShouldNotBeNull();
    }

    [Fact]
    public void Next_EarlierFaultFired_LaterFaultStillCountsTheRequest()
    {
        var first = Fault(new FaultTrigger { Request = 1 }, TftpFaultKind.NotFound);
        var second = Fault(new FaultTrigger { Request = 2 }, TftpFaultKind.RefuseOptions);
        var plan = new FaultPlan<TftpFault>([first, second]);

        plan.Next(SwitchA, null, "k").ShouldBe(first);
        plan.Next(SwitchA, null, "k").ShouldBe(second);
        plan.Next(SwitchA, null, "k").ShouldBeNull();
    }

    [Fact]
    public void Next_NotApplicable_NeitherCountedNorFired()
    {
        var nak = new DhcpFault(DhcpFaultKind.Nak, new FaultTrigger { Request = 1 });
        var plan = new FaultPlan<DhcpFault>([nak]);

        plan.Next(SwitchA, null, "k", f => f.Kind != DhcpFaultKind.Nak).ShouldBeNull();
        plan.Next(SwitchA, null, "k").ShouldBe(nak);
    }

    [Fact]
    public void Next_ProbabilityWithSeed_SameDecisionsTwiceAndRoughlyTheRate()
    {
        static List<bool> Draw(int seed)
        {
            var plan = new FaultPlan<TftpFault>([Fault(new FaultTrigger { Probability = 0.3 })], seed: seed);
            return [.. Enumerable.Range(0, 1000).Select(i => plan.Next(SwitchA, null, $"k{i % 7}") is not null)];
        }

        var first = Draw(42);
        var second = Draw(42);
        var other = Draw(43);

        second.ShouldBe(first);
        other.ShouldNotBe(first);
        first.Count(x => x).ShouldBeInRange(240, 360);
    }

    [Fact]
    public void Next_AlwaysFaultAdded_DoesNotShiftProbabilisticDecisions()
    {
        var flaky = Fault(new FaultTrigger { File = "*.bin", Probability = 0.5 });
        var always = Fault(new FaultTrigger { File = "*.py" });
        var alone = new FaultPlan<TftpFault>([flaky], seed: 7);
        var mixed = new FaultPlan<TftpFault>([always, flaky], seed: 7);

        var aloneDecisions = new List<bool>();
        var mixedDecisions = new List<bool>();
        for (var i = 0; i < 200; i++)
        {
            aloneDecisions.Add(alone.Next(SwitchA, "img.bin", "k") is not null);
            mixed.Next(SwitchA, "poap.py", "k").ShouldBe(always);
            mixedDecisions.Add(mixed.Next(SwitchA, "img.bin", "k") is not null);
        }

        mixedDecisions.ShouldBe(aloneDecisions);
        aloneDecisions.ShouldContain(true);
        aloneDecisions.ShouldContain(false);
    }

    [Fact]
    public void Next_EmptyPlan_NeverFires()
    {
        FaultPlan<HttpFault>.None.IsEmpty.ShouldBeTrue();
        FaultPlan<HttpFault>.None.Next(SwitchA, "/x", "k").ShouldBeNull();
    }

    [Fact]
    public void Describe_NamesTheTrigger()
    {
        var fault = new HttpFault(HttpFaultKind.Status, new FaultTrigger { Attempts = [1, 2], File = "*.py", Probability = 0.25 }) { Status = 503 };

        fault.Describe().ShouldBe("HTTP answers 503 (attempt 1,2, file *.py, p=0.25)");
        new FaultTrigger().ToString().ShouldBe("always");
    }
}
