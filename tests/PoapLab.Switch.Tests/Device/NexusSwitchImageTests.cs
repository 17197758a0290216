using System.Net.NetworkInformation;
using PoapLab.Core.Events;
using PoapLab.Core.Time;
using PoapLab.Switch.Device;
using PoapLab.Switch.Identity;
using PoapLab.Switch.Script;
using PoapLab.Switch.Tests.Poap;

namespace PoapLab.Switch.Tests.Device;

/// <summary>The image a switch powers on with is named as its release shipped it.</summary>
public sealed class NexusSwitchImageTests
{
    [Theory]
    [InlineData("7.0(3)I1(3)", "N9K-C9372PX", "n9000-dk9.7.0.3.I1.3.bin", "NXOS image file is: bootflash:///n9000-dk9.7.0.3.I1.3.bin")]
    [InlineData("7.0(3)I7(9)", "N9K-C93108TC-EX", "nxos.7.0.3.I7.9.bin", "NXOS image file is: bootflash:///nxos.7.0.3.I7.9.bin")]
    [InlineData("6.0(2)U6(10)", "N3K-C3172PQ-10GE", "n3000-uk9.6.0.2.U6.10.bin", "system image file is:    bootflash:///n3000-uk9.6.0.2.U6.10.bin")]
    public async Task Constructor_OldRelease_BootsTheImageNameOfThatRelease(string version, string model, string image, string showVersionLine)
    {
        var root = Directory.CreateTempSubdirectory("poaplab-device-").FullName;
        try
        {
            var identity = new SwitchIdentity("leaf", model, "FDO23490570", PhysicalAddress.Parse("00-A1-B2-C3-D4-E5"),
                "07.69", "04/08/2021", 53298520, "Fretta", 54, "48x10GT + 6x40/100G Ethernet Module");
            var spec = new SwitchSpec(identity, NxosVersion.Parse(version), null, Path.Combine(root, "sw")) { RunningImageBytes = 32 * 1024 };
            var clock = new SimClock(DateTimeOffset.UnixEpoch);

            using var sw = new NexusSwitch(spec, new TestLabNetwork(), clock, new Timeline(clock), new ScriptHost());

            sw.State.RunningImage.ShouldBe(image);
            NxosImage.TryRead(sw.State.Bootflash.Files, image).ShouldNotBeNull().Version.Display.ShouldBe(version);
            var shown = await sw.Cli.ExecuteAsync("show version", json: false, TestContext.Current.CancellationToken);
            shown.Output.ShouldContain(showVersionLine);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }
}
