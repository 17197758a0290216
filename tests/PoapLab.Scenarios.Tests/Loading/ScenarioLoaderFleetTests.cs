using PoapLab.Scenarios.Loading;
using PoapLab.Scenarios.Model;

namespace PoapLab.Scenarios.Tests.Loading;

/// <summary>Fleets: generated switches, inventories beside the scenario, reservations from the switches, files per switch; and what is refused.</summary>
public sealed class ScenarioLoaderFleetTests : IDisposable
{
    private const string Servers = """
        servers:
          dhcp:
            address: 10.0.0.1
            subnet: 10.0.0.0/22
            pool: 10.0.0.10-10.0.3.250
            bootfile: poap.py
            tftp_server_address: 10.0.0.1
            reservations: from-switches
        """;

    private readonly string _dir = Directory.CreateTempSubdirectory("poaplab-fleet-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private Scenario Load(string yaml)
    {
        var path = Path.Combine(_dir, "fleet.yaml");
        File.WriteAllText(path, yaml);
        return ScenarioLoader.Load(path);
    }

    private ScenarioException Refused(string yaml)
    {
        var path = Path.Combine(_dir, "fleet.yaml");
        File.WriteAllText(path, yaml);
        return Should.Throw<ScenarioException>(() => ScenarioLoader.Load(path));
    }

    private static string Generator(string entry) => "name: f\nswitches:\n" + entry + "\n" + Servers + "\n";

    [Fact]
    public void Load_Generator_MakesDistinctSwitchesWithSharedSettings()
    {
        var s = Load(Generator("""
              - count: 300
                name: leaf-{n:03}
                serial: FDO{n:08}
                mac: 00:aa:bb:{n:x6}
                hostname: host-{n}
                version: 10.3(3)F
                link: { loss: 5% }
            """));

        s.Switches.Count.ShouldBe(300);
        s.Switches[0].Name.ShouldBe("leaf-001");
        s.Switches[299].Name.ShouldBe("leaf-300");
        s.Switches[41].Serial.ShouldBe("FDO00000042");
        s.Switches[41].Mac.ShouldBe("00:AA:BB:00:00:2A");
        s.Switches[41].Hostname.ShouldBe("host-42");
        s.Switches.ShouldAllBe(x => x.Version == "10.3(3)F" && x.LinkFaults.LossToSwitch == 0.05);
        s.Switches.Select(x => x.LinkFaults.Seed).Distinct().Count().ShouldBe(300);
        var reservations = s.Servers.Dhcp[0].Reservations;
        reservations.Count.ShouldBe(300);
        reservations[0].Address.ToString().ShouldBe("10.0.0.10");
        reservations[299].Address.ToString().ShouldBe("10.0.1.53");
        reservations[41].ClientId.ShouldBe([0, .. "FDO00000042"u8.ToArray()]);
        reservations[41].Hostname.ShouldBe("host-42");
    }

    [Fact]
    public void Load_PerSwitchFile_OneCopyPerSwitchWithItsFields()
    {
        var s = Load(Generator("""
              - count: 3
                serial: FDO{n:08}
                mac: 00:aa:bb:{n:x6}
                hostname: leaf-{n}
            files:
              - path: configs/conf_{mac_hex}.cfg
                per_switch: true
                content: "hostname {hostname} ({name}, {serial}, {mac}) {{x}}"
            """));

        var files = s.Files.Where(f => f.ForSwitch is not null).ToList();
        files.Count.ShouldBe(3);
        files[1].Path.ShouldBe("configs/conf_00AABB000002.cfg");
        files[1].Content.ShouldBe("hostname leaf-2 (switch-2, FDO00000002, 00:AA:BB:00:00:02) {x}");
        files[1].ForSwitch.ShouldBe("switch-2");
    }

    [Fact]
    public void Load_CsvInventory_SwitchesWithRowValuesAndEntryDefaults()
    {
        File.WriteAllText(Path.Combine(_dir, "racks.csv"), "# racks\nname,serial,mac,model,version\nleaf-a,FDO1,00:11:22:33:44:01,,\n\"leaf-b\",FDO2,00:11:22:33:44:02,N9K-C93180YC-FX,10.3(3)F\n\n");

        var s = Load(Generator("  - inventory: racks.csv\n    model: N9K-C9336C-FX2"));

        s.Switches.Select(x => x.Name).ShouldBe(["leaf-a", "leaf-b"]);
        s.Switches[0].Model.ShouldBe("N9K-C9336C-FX2");
        s.Switches[0].Version.ShouldBe("9.3(8)");
        s.Switches[1].Model.ShouldBe("N9K-C93180YC-FX");
        s.Switches[1].Version.ShouldBe("10.3(3)F");
        s.Switches[1].Location.Line.ShouldBe(4);
        s.Switches[1].Location.File.ShouldEndWith("racks.csv");
    }

    [Fact]
    public void Load_AnsibleInventory_HostsWithGroupAndHostVars()
    {
        File.WriteAllText(Path.Combine(_dir, "hosts.yml"), """
            all:
              vars:
                version: 9.3(8)
                ansible_connection: network_cli
              children:
                leaves:
                  vars: { model: N9K-C93180YC-FX }
                  hosts:
                    leaf-1: { serial: FDO1, mac: "00:11:22:33:44:01" }
                    leaf-2: { serial: FDO2, mac: "00:11:22:33:44:02", version: 10.3(3)F, ansible_host: 192.0.2.2 }
                spines:
                  hosts:
                    spine-1:
                      serial: FDO3
                      mac: "00:11:22:33:44:03"
            """);

        var s = Load(Generator("  - inventory: hosts.yml"));

        s.Switches.Select(x => x.Name).ShouldBe(["leaf-1", "leaf-2", "spine-1"]);
        s.Switches[0].Model.ShouldBe("N9K-C93180YC-FX");
        s.Switches[0].Version.ShouldBe("9.3(8)");
        s.Switches[1].Version.ShouldBe("10.3(3)F");
        s.Switches[2].Model.ShouldBe("N9K-C93108TC-EX");
    }

    [Theory]
    [InlineData("  - count: 65001\n    serial: S{n}\n    mac: 00:aa:bb:{n:x6}", "'count' must be")]
    [InlineData("  - count: 3\n    serial: FDO1\n    mac: 00:aa:bb:{n:x6}", "holds no {n}, so all 3 switches would share 'FDO1'")]
    [InlineData("  - count: 300\n    serial: S{n}\n    mac: 00:aa:bb:cc:dd:{n:x2}", "for switch n=256, which is not a MAC address")]
    [InlineData("  - count: 3\n    serial: S{n}\n    mac: 01:aa:bb:{n:x6}", "not a unicast MAC")]
    [InlineData("  - count: 3\n    serial: S{n}\n    mac: 00:aa:bb:{n:x6}\n    name: \"../{n}\"", "cannot name a switch")]
    [InlineData("  - count: 3\n    serial: \"S {n}\"\n    mac: 00:aa:bb:{n:x6}", "is not a serial number")]
    [InlineData("  - count: 3\n    serial: S{n:q3}\n    mac: 00:aa:bb:{n:x6}", "'serial' pattern: '{n:q3}' is not a placeholder")]
    [InlineData("  - count: 3\n    mac: 00:aa:bb:{n:x6}", "'serial' is missing")]
    [InlineData("  - count: 2\n    serial: S{n}\n    mac: 00:aa:bb:{n:x6}\n  - count: 2\n    serial: T{n}\n    mac: 00:aa:bb:{n:x6}\n    name: other-{n}", "a fleet's switches need distinct serials and MACs")]
    [InlineData("  - count: 2\n    serial: S{n}\n    mac: 00:aa:bb:{n:x6}\n    inventory: x.csv", "either 'count'")]
    public void Load_BadGenerator_ErrorNamingKeyAndLine(string entry, string problem)
    {
        var e = Refused(Generator(entry));

        e.Message.ShouldContain(problem);
        e.Message.ShouldContain("fleet.yaml:");
    }

    [Fact]
    public void Load_ScenarioAboveTheSwitchBound_Refused()
    {
        var e = Refused(Generator("  - count: 65000\n    serial: S{n}\n    mac: 00:aa:bb:{n:x6}\n  - { name: one-more, serial: X, mac: 00:11:22:33:44:55 }"));

        e.Message.ShouldContain("at most 65000 switches");
    }

    [Fact]
    public void Load_PoolSmallerThanTheFleet_ErrorSaysHowMany()
    {
        var e = Refused(Generator("  - count: 2000\n    serial: S{n}\n    mac: 00:aa:bb:{n:x6}"));

        e.Message.ShouldContain("holds 1009 addresses for 2000 switches");
    }

    [Fact]
    public void Load_HostnameWithoutReservationsFromSwitches_Refused()
    {
        var e = Refused(Generator("  - count: 2\n    serial: S{n}\n    mac: 00:aa:bb:{n:x6}\n    hostname: h{n}").Replace("    reservations: from-switches\n", "", StringComparison.Ordinal));

        e.Message.ShouldContain("give the DHCP server 'reservations: from-switches'");
    }

    [Theory]
    [InlineData("path: configs/{serial}.cfg\n    content: \"{nope}\"", "'{nope}' is not a field")]
    [InlineData("path: configs/same.cfg\n    content: x", "for two switches")]
    [InlineData("path: \"configs/{serial}.cfg\"\n    source: fleet.yaml", "it needs 'content'")]
    public void Load_BadPerSwitchFile_Refused(string file, string problem)
    {
        var e = Refused(Generator("  - count: 2\n    serial: S{n}\n    mac: 00:aa:bb:{n:x6}\nfiles:\n  - per_switch: true\n    " + file));

        e.Message.ShouldContain(problem);
    }

    [Theory]
    [InlineData("name,serial,mac,modle\nleaf,FDO1,00:11:22:33:44:55,x\n", "unknown column 'modle' (did you mean 'model'?)", 1)]
    [InlineData("name,mac\nleaf,00:11:22:33:44:55\n", "no 'serial' column", 1)]
    [InlineData("name,serial,mac\nleaf,FDO1\n", "2 values where the header names 3 columns", 2)]
    [InlineData("name,serial,mac\nleaf,FDO1,00:11:22:33:44:55\nleaf2,FDO1,00:11:22:33:44:56\n", "already the switch 'leaf'", 3)]
    [InlineData("name,serial,mac\nleaf,FDO1,not-a-mac\n", "is not a MAC address", 2)]
    [InlineData("name,serial,mac\n../../x,FDO1,00:11:22:33:44:55\n", "cannot name a switch", 2)]
    [InlineData("name,serial,mac\nleaf,../../x,00:11:22:33:44:55\n", "is not a serial number", 2)]
    [InlineData("name,serial,mac\nleaf,\"FDO1,00:11:22:33:44:55\n", "quoted value is not closed", 2)]
    [InlineData("", "the inventory is empty", 1)]
    public void Load_BadCsvInventory_ErrorNamingInventoryLine(string csv, string problem, int line)
    {
        File.WriteAllText(Path.Combine(_dir, "bad.csv"), csv);

        var e = Refused(Generator("  - inventory: bad.csv"));

        e.Message.ShouldContain(problem);
        e.Message.ShouldContain($"bad.csv:{line}:");
    }

    [Theory]
    [InlineData("all:\n  hosts:\n    leaf[01:50]:\n", "is a range")]
    [InlineData("all:\n  hosts:\n    leaf-1: { mac: \"00:11:22:33:44:55\" }\n", "has no 'serial'")]
    [InlineData("all:\n  hosts: [a, b]\n", "must be a mapping of host names")]
    [InlineData("all:\n  groups: {}\n", "holds hosts, vars and children")]
    [InlineData("- just a list\n", "one mapping of groups")]
    public void Load_BadAnsibleInventory_Refused(string yaml, string problem)
    {
        File.WriteAllText(Path.Combine(_dir, "bad.yaml"), yaml);

        var e = Refused(Generator("  - inventory: bad.yaml"));

        e.Message.ShouldContain(problem);
    }

    [Fact]
    public void Load_AnsibleAliasBomb_BoundedError()
    {
        // Each level names the previous one twice: 2^30 group visits if walked naively.
        var sb = new System.Text.StringBuilder("g0: &g0 { hosts: { h: { serial: S, mac: \"00:11:22:33:44:55\" } } }\n");
        for (var i = 1; i <= 30; i++)
        {
            sb.Append(System.Globalization.CultureInfo.InvariantCulture, $"g{i}: &g{i} {{ children: {{ a{i}: *g{i - 1}, b{i}: *g{i - 1} }} }}\n");
        }
        File.WriteAllText(Path.Combine(_dir, "bomb.yaml"), sb.ToString());
        var watch = System.Diagnostics.Stopwatch.StartNew();

        var e = Refused(Generator("  - inventory: bomb.yaml"));

        e.Message.ShouldContain("visited more than 100000 times");
        watch.Elapsed.ShouldBeLessThan(TimeSpan.FromSeconds(30));
    }

    [Theory]
    [InlineData("../../../../../../etc/passwd")]
    [InlineData("/etc/passwd")]
    public void Load_InventoryOutsideTheScenarioFolder_Refused(string path)
    {
        var e = Refused(Generator($"  - inventory: {path}"));

        e.Message.ShouldContain("is not inside the scenario's folder");
    }

    [Fact]
    public void Load_InventoryLinkOutOfTheFolder_Refused()
    {
        var outside = Directory.CreateTempSubdirectory("poaplab-fleet-out-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(outside, "secret.csv"), "name,serial,mac\nleaf,FDO1,00:11:22:33:44:55\n");
            File.CreateSymbolicLink(Path.Combine(_dir, "link.csv"), Path.Combine(outside, "secret.csv"));
            Directory.CreateSymbolicLink(Path.Combine(_dir, "dirlink"), outside);

            Refused(Generator("  - inventory: link.csv")).Message.ShouldContain("is not inside the scenario's folder");
            Refused(Generator("  - inventory: dirlink/secret.csv")).Message.ShouldContain("is not inside the scenario's folder");
        }
        finally
        {
            Directory.Delete(outside, recursive: true);
        }
    }

    [Fact]
    public void Load_HugeOrSpecialInventory_RefusedWithoutReadingIt()
    {
        using (var f = File.Create(Path.Combine(_dir, "huge.csv")))
        {
            f.SetLength(SwitchInventory.MaxBytes + 1);
        }
        Directory.CreateDirectory(Path.Combine(_dir, "adir.csv"));

        Refused(Generator("  - inventory: huge.csv")).Message.ShouldContain("'inventory' must be a CSV or Ansible YAML file of at most 8 MiB");
        Refused(Generator("  - inventory: adir.csv")).Message.ShouldContain("'inventory' must be");
        Refused(Generator("  - inventory: missing.csv")).Message.ShouldContain("no such file");
    }

    [Fact]
    public void Load_IdentityKeysOnAnInventoryEntry_Refused()
    {
        File.WriteAllText(Path.Combine(_dir, "ok.csv"), "name,serial,mac\nleaf,FDO1,00:11:22:33:44:55\n");

        var e = Refused(Generator("  - inventory: ok.csv\n    serial: X"));

        e.Message.ShouldContain("'serial' comes from the inventory");
    }

    private const string EightSwitches = """
          - count: 8
            name: leaf-{n}
            serial: FDO{n:08}
            mac: 00:aa:bb:{n:x6}
        """;

    private static string WithExpect(string expect) => Generator(EightSwitches) + "expect:\n" + expect + "\n";

    [Fact]
    public void Load_FleetBounds_CountAndShare()
    {
        var fleet = Load(WithExpect("""
              outcome: provisioned
              fleet:
                min_provisioned: 75%
                max_provisioned: 6
            """)).Expect.Fleet.ShouldNotBeNull();

        fleet.MinProvisioned.ShouldBe(new FleetShare(null, 75));
        fleet.MaxProvisioned.ShouldBe(new FleetShare(6, null));
        Load(WithExpect("  fleet: { min_provisioned: 99.5% }")).Expect.Fleet!.MinProvisioned.ShouldBe(new FleetShare(null, 99.5));
    }

    [Theory]
    [InlineData("  fleet: { }", "needs min_provisioned, max_provisioned or both")]
    [InlineData("  fleet: { min_provisioned: 9 }", "'min_provisioned' is 9, but the scenario has 8 switch(es)")]
    [InlineData("  fleet: { max_provisioned: 100000 }", "'max_provisioned' is 100000, but the scenario has 8")]
    [InlineData("  fleet: { min_provisioned: 7, max_provisioned: 50% }", "no run can meet both")]
    [InlineData("  fleet: { min_provisioned: 101% }", "a share of them from 0% to 100%")]
    [InlineData("  fleet: { min_provisioned: -1 }", "must be a number of switches (950)")]
    [InlineData("  fleet: { min_provisioned: 1e3 }", "must be a number of switches (950)")]
    [InlineData("  fleet: { min_provisioned: NaN% }", "must be a number of switches (950)")]
    [InlineData("  fleet: { min_provisioned: 95 % }", "must be a number of switches (950)")]
    [InlineData("  fleet: { min_provisioned: [1, 2] }", "'min_provisioned' must be a single value")]
    [InlineData("  fleet: { min_provisioned: 1, mix_provisioned: 2 }", "mix_provisioned")]
    [InlineData("  outcome: failed\n  fleet: { min_provisioned: 1 }", "'outcome' can only be provisioned")]
    public void Load_BadFleetBounds_RefusedNamingTheKey(string expect, string problem)
    {
        var e = Refused(WithExpect(expect));

        e.Message.ShouldContain(problem);
        e.Message.ShouldContain("fleet.yaml:");
    }

    [Fact]
    public void Load_FleetBoundsInASwitchsOwnExpect_Refused()
    {
        var e = Refused(Generator("""
              - count: 8
                name: leaf-{n}
                serial: FDO{n:08}
                mac: 00:aa:bb:{n:x6}
                expect: { fleet: { min_provisioned: 1 } }
            """));

        e.Message.ShouldContain("it belongs to the scenario's expect, not to a switch's");
    }
}
