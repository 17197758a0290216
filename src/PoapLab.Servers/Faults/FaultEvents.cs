using System.Net;
using PoapLab.Core.Events;

namespace PoapLab.Servers.Faults;

/// <summary>The one shape of the event every server records when it injects a fault.</summary>
internal static class FaultEvents
{
    /// <param name="fileKey"><c>file</c> (TFTP) or <c>path</c> (HTTP); null when there is none (DHCP).</param>
    public static void Record<TFault>(IEventSink events, string source, FaultPlan<TFault> plan, TFault fault, IPEndPoint client,
        string? fileKey, string? file, params (string Key, object? Value)[] extra)
        where TFault : class, IFault => Record(events, source, plan, fault, client, null, fileKey, file, extra);

    /// <param name="mac">The client's hardware address, which names a DHCP client that has no address yet.</param>
    public static void Record<TFault>(IEventSink events, string source, FaultPlan<TFault> plan, TFault fault, IPEndPoint client, System.Net.NetworkInformation.PhysicalAddress? mac,
        string? fileKey, string? file, params (string Key, object? Value)[] extra)
        where TFault : class, IFault
    {
        var attempt = plan.AttemptOf(client, mac);
        var data = new List<(string Key, object? Value)>
        {
            ("server", source), ("fault", fault.Describe()), ("kind", FaultKindName(fault)), ("client", client.ToString()), ("attempt", attempt),
        };
        if (fileKey is not null)
        {
            data.Add((fileKey, file));
        }
        data.AddRange(extra);
        events.Record(source, EventKinds.FaultInjected, $"fault injected for {client}{(file is null ? "" : " " + file)}: {fault.Describe()}", [.. data]);
    }

    private static string? FaultKindName(IFault fault) => fault switch
    {
        DhcpFault d => d.Kind.ToString(),
        TftpFault t => t.Kind.ToString(),
        HttpFault h => h.Kind.ToString(),
        _ => null,
    };
}
