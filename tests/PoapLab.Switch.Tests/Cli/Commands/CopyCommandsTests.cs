using PoapLab.Switch.Cli;
using PoapLab.Switch.Transfer;

namespace PoapLab.Switch.Tests.Cli.Commands;

/// <summary><c>copy</c>: downloads, local and configuration copies.</summary>
public sealed class CopyCommandsTests
{
    [Fact]
    public async Task Copy_ChainedWithTerminalPassword_RequestCarriesPasswordAndFileAppears()
    {
        using var sw = new CliTestSwitch();
        sw.Transfers.Payload = new byte[250];
        var output = await sw.Ok("terminal dont-ask ; terminal password s3cret ; copy scp://admin@10.0.0.1/images/nxos.bin bootflash:/nxos.bin.tmp vrf management");

        output.ShouldBe("Copy complete.\n");
        var request = sw.Transfers.Requests.ShouldHaveSingleItem();
        request.ShouldBe(new TransferRequest(TransferProtocol.Scp, "10.0.0.1", null, "/images/nxos.bin", "admin", "s3cret", "management"));
        new FileInfo(sw.FlashFile("nxos.bin.tmp")).Length.ShouldBe(250);
    }

    [Fact]
    public async Task Copy_PasswordFromEarlierCall_DoesNotCarryOver()
    {
        using var sw = new CliTestSwitch();
        await sw.Ok("terminal password s3cret");
        await sw.Ok("copy sftp://admin@10.0.0.1/x.cfg bootflash:x.cfg");
        sw.Transfers.Requests.Single().Password.ShouldBeNull();
        sw.Transfers.Requests.Single().Vrf.ShouldBe("default");
    }

    [Theory]
    [InlineData("copy http://admin@10.0.0.1:8080/dir/img.bin bootflash:img.bin vrf management use-kstack", TransferProtocol.Http, "10.0.0.1", 8080, "/dir/img.bin", false)]
    [InlineData("copy https://admin@srv.lab/img.bin bootflash:img.bin ignore-certificate vrf mgmt", TransferProtocol.Https, "srv.lab", null, "/img.bin", true)]
    [InlineData("copy tftp://[2001:db8::1]:69/poap.cfg bootflash: vrf management", TransferProtocol.Tftp, "2001:db8::1", 69, "/poap.cfg", false)]
    public async Task Copy_UrlForms_ParseIntoRequest(string command, TransferProtocol protocol, string host, int? port, string path, bool ignoreCertificate)
    {
        using var sw = new CliTestSwitch();
        var output = await sw.Ok(command);
        output.ShouldEndWith("Copy complete.\n");
        var r = sw.Transfers.Requests.Single();
        r.Protocol.ShouldBe(protocol);
        r.Host.ShouldBe(host);
        r.Port.ShouldBe(port);
        r.Path.ShouldBe(path);
        r.IgnoreCertificate.ShouldBe(ignoreCertificate);
        File.Exists(sw.FlashFile(Path.GetFileName(path))).ShouldBeTrue();
    }

    [Fact]
    public async Task Copy_AnnouncedSizeLargerThanFree_NoSpaceAndNothingWritten()
    {
        using var sw = new CliTestSwitch();
        sw.Transfers.Payload = new byte[CliTestSwitch.Capacity + 1];
        var result = await sw.Run("copy http://10.0.0.1/big.bin bootflash:big.bin");
        result.Status.ShouldBe(CliStatus.ExecError);
        result.Output.ShouldContain("No space left on device");
        sw.Transfers.BytesWritten.ShouldBe(0);
        File.Exists(sw.FlashFile("big.bin")).ShouldBeFalse();
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Copy_UnannouncedFileOverflowsMidStream_NoSpaceAndPartialRemoved(bool serviceReportsWriteError)
    {
        using var sw = new CliTestSwitch();
        sw.WriteFile("existing.bin", new string('x', 600_000));
        sw.Transfers.AnnounceSize = false;
        sw.Transfers.ReportWriteErrors = serviceReportsWriteError;
        sw.Transfers.Payload = new byte[500_000];
        var result = await sw.Run("copy scp://u@10.0.0.1/big.bin bootflash:big.bin");
        result.Status.ShouldBe(CliStatus.ExecError);
        result.Output.ShouldContain("No space left on device");
        sw.Transfers.BytesWritten.ShouldBe(400_000);
        File.Exists(sw.FlashFile("big.bin")).ShouldBeFalse();
    }

    [Fact]
    public async Task Copy_TransferFails_ErrorTextAndPartialRemoved()
    {
        using var sw = new CliTestSwitch();
        sw.Transfers.Payload = new byte[1000];
        sw.Transfers.FailWith = "TFTP get: File not found, Permission denied";
        var result = await sw.Run("copy tftp://admin@10.0.0.1/missing.bin bootflash:missing.bin vrf management");
        result.ShouldBe(CliResult.Exec("TFTP get: File not found, Permission denied\n"));
        File.Exists(sw.FlashFile("missing.bin")).ShouldBeFalse();
    }

    [Theory]
    [InlineData("bootflash:../outside.bin")]
    [InlineData("bootflash:/../../tmp/outside.bin")]
    [InlineData("slot0:outside.bin")]
    public async Task Copy_DestinationOutsideBootflash_PermissionDenied(string destination)
    {
        using var sw = new CliTestSwitch();
        var result = await sw.Run($"copy http://10.0.0.1/x.bin {destination}");
        result.Status.ShouldBe(CliStatus.ExecError);
        result.Output.ShouldContain("Permission denied");
        sw.Transfers.Requests.ShouldBeEmpty();
    }

    [Theory]
    [InlineData("N3K-C3172PQ-10GE", "9.3(8)", false)]
    [InlineData("N9K-C93108TC-EX", "9.2(4)", false)]
    [InlineData("N9K-C93108TC-EX", "9.3(8)", true)]
    [InlineData("N9K-C93108TC-EX", "10.3(6)M", true)]
    public async Task Copy_Compact_OnlyWhereSupported(string model, string version, bool supported)
    {
        using var sw = new CliTestSwitch(version, model);
        var result = await sw.Run("copy scp://admin@10.0.0.1/nxos.bin bootflash:nxos.bin compact vrf management");
        if (supported)
        {
            result.Status.ShouldBe(CliStatus.Ok);
        }
        else
        {
            result.ShouldBe(CliResult.Exec("Compaction is not supported on this platform\n"));
            sw.Transfers.Requests.ShouldBeEmpty();
        }
    }

    [Fact]
    public async Task Copy_UseKstackOnOldImage_SyntaxErrorWhileParsing()
    {
        using var sw = new CliTestSwitch("7.0(3)I7(9)", "N3K-C3172PQ-10GE");
        var result = await sw.Run("copy scp://admin@10.0.0.1/x.bin bootflash:x.bin vrf management use-kstack");
        result.Output.ShouldContain("Syntax error while parsing");
    }

    // Attack: URL parts that would read as a client option, a second command, a header line
    // or a way out of the server's root never reach a transfer client.
    [Theory]
    [InlineData("sftp://-oProxyCommand=touch${IFS}CANARY@10.0.0.1/images/x")]
    [InlineData("\"sftp://-oProxyCommand=touch CANARY;#@10.0.0.1/images/x\"")]
    [InlineData("scp://-oLocalCommand=touch${IFS}CANARY@10.0.0.1/images/x")]
    [InlineData("scp://u@-oProxyCommand=touch${IFS}CANARY/images/x")]
    [InlineData("sftp://u@10.0.0.1:-oProxyCommand=x/images/x")]
    [InlineData("sftp://u@10.0.0.1:22x/images/x")]
    [InlineData("sftp://u@10.0.0.1:0/images/x")]
    [InlineData("scp://u@10.0.0.1/images/x$(touch${IFS}CANARY)")]
    [InlineData("scp://u@10.0.0.1/images/x`touch${IFS}CANARY`")]
    [InlineData("scp://u@10.0.0.1/images/x|touch")]
    [InlineData("\"sftp://u@10.0.0.1/images/x /etc/cron.d/evil\"")]
    [InlineData("sftp://u@10.0.0.1/images/../../etc/shadow")]
    [InlineData("tftp://10.0.0.1/../etc/shadow")]
    [InlineData("tftp://10.0.0.1/x\u0000blksize\u000065464")]
    [InlineData("ftp://u\r\nDELE x@10.0.0.1/images/x")]
    [InlineData("ftp://u@10.0.0.1/images/x\r\nDELE y")]
    [InlineData("http://10.0.0.1/x\r\nX-Injected: 1")]
    [InlineData("https://10.0.0.1/x%0d%0a\nHost: evil")]
    [InlineData("http://-x@10.0.0.1/x")]
    [InlineData("http://u@evil host/x")]
    [InlineData("ftp://u@10.0.0.1/images/x;rm")]
    public async Task Copy_HostileUrl_SyntaxErrorAndNoTransfer(string url)
    {
        using var sw = new CliTestSwitch();
        var canary = Path.Combine(Path.GetTempPath(), "CANARY");
        var result = await sw.Run($"copy {System.Text.RegularExpressions.Regex.Unescape(url)} bootflash:x vrf management");
        // The URL's syntax error, or the CLI's own (a ';' ends a command, a line break a line).
        result.Status.ShouldNotBe(CliStatus.Ok);
        sw.Transfers.Requests.ShouldBeEmpty();
        File.Exists(canary).ShouldBeFalse();
        File.Exists(sw.FlashFile("x")).ShouldBeFalse();
    }

    [Fact]
    public async Task Copy_IssueProxyCommandUrl_SyntaxErrorWhileParsing()
    {
        using var sw = new CliTestSwitch();
        var result = await sw.Run("copy sftp://-oProxyCommand=touch${IFS}CANARY#@10.0.0.1/images/x bootflash:x vrf management");
        result.Output.ShouldBe("Syntax error while parsing 'sftp://-oProxyCommand=touch${IFS}CANARY#@10.0.0.1/images/x'\n");
        sw.Transfers.Requests.ShouldBeEmpty();
    }

    [Theory]
    [InlineData("copy scp://poap.ops-2@10.0.0.1/images/nxos64-cs.10.3.6.M.bin bootflash: vrf management")]
    [InlineData("copy sftp://a+b=c@srv-1.lab.example:2222/configs/conf_5254.00ab.cdef.cfg bootflash: vrf management")]
    [InlineData("copy http://[2001:db8::1]:8080/images/10.3/nxos64-cs.10.3.6.M.bin bootflash: vrf management")]
    public async Task Copy_UrlOfOrdinaryNames_Accepted(string command)
    {
        using var sw = new CliTestSwitch();
        var output = await sw.Ok(command);
        output.ShouldEndWith("Copy complete.\n");
        sw.Transfers.Requests.ShouldHaveSingleItem();
    }

    [Fact]
    public async Task Copy_UnknownTrailingKeyword_InvalidCommandMarker()
    {
        using var sw = new CliTestSwitch();
        var result = await sw.Run("copy http://10.0.0.1/x.bin bootflash:x.bin fast");
        result.Status.ShouldBe(CliStatus.SyntaxError);
        result.Output.ShouldBe("copy http://10.0.0.1/x.bin bootflash:x.bin fast\n" + new string(' ', 43) + "^\n% Invalid command at '^' marker.\n");
    }

    [Fact]
    public async Task CopyScheduledConfig_StagesLinesAndRejectsMissingFile()
    {
        using var sw = new CliTestSwitch();
        sw.WriteFile("poap_2.cfg", "hostname leaf-101\r\n\r\ninterface mgmt0\n  ip address dhcp\nboot nxos bootflash:/nxos.10.bin\n");
        await sw.Ok("copy bootflash:poap_2.cfg scheduled-config");
        sw.State.ScheduledConfig.ShouldBe(["hostname leaf-101", "interface mgmt0", "  ip address dhcp", "boot nxos bootflash:/nxos.10.bin"]);

        var missing = await sw.Run("copy bootflash:poap_1.cfg scheduled-config");
        missing.Status.ShouldBe(CliStatus.ExecError);
        missing.Output.ShouldContain("no such file");
        sw.State.ScheduledConfig.Count.ShouldBe(4);
    }

    [Fact]
    public async Task CopyRunningStartup_CopiesRunningConfig()
    {
        using var sw = new CliTestSwitch();
        await sw.Ok("config terminal ; hostname leaf-9 ; feature bash-shell");
        (await sw.Ok("copy running-config startup-config")).ShouldBe("[########################################] 100%\nCopy complete.\n");
        sw.State.StartupConfig.ShouldBe(["hostname leaf-9", "feature bash-shell"]);
        sw.State.RunningConfig.Add("later");
        sw.State.StartupConfig!.Count.ShouldBe(2);
    }

    [Fact]
    public async Task CopyLocal_FlashToFlashAndRunningToFlash()
    {
        using var sw = new CliTestSwitch();
        sw.WriteFile("a.cfg", "abc\n");
        await sw.Ok("copy bootflash:a.cfg bootflash:b.cfg");
        File.ReadAllText(sw.FlashFile("b.cfg")).ShouldBe("abc\n");
        await sw.Ok("copy run bootflash:run.cfg");
        File.ReadAllText(sw.FlashFile("run.cfg")).ShouldContain("!Command: show running-config");
    }

    // ---- a hostile script's links and FIFOs on bootflash: checked from the host side ----

    [Theory]
    [InlineData("copy bootflash:a/canary-dir/canary.txt bootflash:stolen")]
    [InlineData("copy bootflash:b/canary.txt bootflash:stolen")]
    [InlineData("copy bootflash:abs bootflash:stolen")]
    [InlineData("copy bootflash:a/canary-dir/canary.txt scheduled-config")]
    public async Task Copy_SourceThroughLinkOut_PermissionDeniedNothingCopied(string command)
    {
        using var t = new CliAttackHost();
        var result = await t.Run(command);
        result.Status.ShouldBe(CliStatus.ExecError);
        result.Output.ShouldContain("Permission denied");
        File.Exists(t.Switch.FlashFile("stolen")).ShouldBeFalse();
        t.Switch.State.ScheduledConfig.ShouldBeEmpty();
        t.Host.CanariesIntact();
    }

    [Theory]
    [InlineData("copy bootflash:x bootflash:a/canary-dir/planted")]
    [InlineData("copy bootflash:x bootflash:b/")]
    [InlineData("copy bootflash:x bootflash:a/canary-dir/canary.txt")]
    [InlineData("copy running-config bootflash:b/running")]
    public async Task Copy_DestinationThroughLinkOut_PermissionDeniedCanaryKept(string command)
    {
        using var t = new CliAttackHost();
        t.Switch.WriteFile("x", "payload");
        var result = await t.Run(command);
        result.Status.ShouldBe(CliStatus.ExecError);
        result.Output.ShouldContain("Permission denied");
        t.Host.CanariesIntact();
    }

    [Fact]
    public async Task Download_DestinationDirectoryLinkedOut_RefusedBeforeTheTransfer()
    {
        using var t = new CliAttackHost();
        var result = await t.Run("copy tftp://10.0.0.1/images/nxos.bin bootflash:a/canary-dir/ vrf management");
        result.Output.ShouldContain("Permission denied");
        t.Switch.Transfers.Requests.ShouldBeEmpty();
        t.Host.CanariesIntact();
    }

    [Fact]
    public async Task Download_OntoLinkToHostFile_RefusedBeforeTheTransfer()
    {
        using var t = new CliAttackHost();
        (await t.Run("copy tftp://10.0.0.1/images/x bootflash:abs vrf management")).Output.ShouldContain("Permission denied");
        t.Switch.Transfers.Requests.ShouldBeEmpty();
        t.Host.CanariesIntact();
    }

    [Fact]
    public async Task Copy_FifoSource_RefusedNoHang()
    {
        using var t = new CliAttackHost();
        t.Fifo("pipe.cfg");
        (await t.Run("copy bootflash:pipe.cfg bootflash:copy.cfg")).Status.ShouldBe(CliStatus.ExecError);
        (await t.Run("copy bootflash:pipe.cfg scheduled-config")).Status.ShouldBe(CliStatus.ExecError);
        File.Exists(t.Switch.FlashFile("copy.cfg")).ShouldBeFalse();
    }
}
