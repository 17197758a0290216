using PoapLab.Lab.Hardware;
using PoapLab.Lab.Transports.Namespace;
using PoapLab.Testing;

namespace PoapLab.Cli.Tests.Commands;

/// <summary>
/// Two network namespaces joined by a veth pair the test makes (each held by a child that dies
/// with the test process, so nothing stays behind): <c>s0</c> on the serve side, <c>d0</c> on
/// the device side, both up.
/// </summary>
internal sealed class HardwarePair : IAsyncDisposable
{
    public const string ServeEnd = "s0";
    public const string DeviceEnd = "d0";

    private HardwarePair(NetworkNamespace serve, NetworkNamespace device)
    {
        ServeSide = serve;
        DeviceSide = device;
    }

    public NetworkNamespace ServeSide { get; }

    public NetworkNamespace DeviceSide { get; }

    public InterfaceHost ServeHost => new(ServeEnd, ServeSide);

    public InterfaceHost DeviceHost => new(DeviceEnd, DeviceSide);

    public static void Require()
    {
        Requires.That(OperatingSystem.IsLinux() && Environment.IsPrivilegedProcess, "root on Linux (network namespaces)");
        Requires.Tool("ip", "apt-get install iproute2");
        Requires.Tool("nsenter", "apt-get install util-linux");
        Requires.Tool("setpriv", "apt-get install util-linux");
    }

    public static async Task<HardwarePair> CreateAsync(CancellationToken cancellationToken)
    {
        var serve = await NetworkNamespace.CreateAsync("serve side", cancellationToken);
        NetworkNamespace? device = null;
        try
        {
            device = await NetworkNamespace.CreateAsync("device side", cancellationToken);
            await serve.RunCheckedAsync("ip", ["link", "add", ServeEnd, "type", "veth", "peer", "name", DeviceEnd, "netns", device.Path], cancellationToken);
            await serve.RunCheckedAsync("ip", ["link", "set", ServeEnd, "up"], cancellationToken);
            await device.RunCheckedAsync("ip", ["link", "set", DeviceEnd, "up"], cancellationToken);
            return new HardwarePair(serve, device);
        }
        catch
        {
            await serve.DisposeAsync();
            if (device is not null)
            {
                await device.DisposeAsync();
            }
            throw;
        }
    }

    /// <summary>The addresses on the serve end now.</summary>
    public async Task<string> ServeAddressesAsync() =>
        (await ServeSide.RunAsync("ip", ["-4", "-o", "addr", "show", "dev", ServeEnd], CancellationToken.None)).Output;

    public async ValueTask DisposeAsync()
    {
        await ServeSide.DisposeAsync();
        await DeviceSide.DisposeAsync();
    }
}
