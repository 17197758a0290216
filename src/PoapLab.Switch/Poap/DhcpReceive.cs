using System.Net;
using PoapLab.Core.Events;
using PoapLab.Core.Time;
using PoapLab.Switch.Network;

namespace PoapLab.Switch.Poap;

/// <summary>
/// The DHCP clients' wait for an answer, shared by v4 and v6: switch time accounted for
/// (a timeout costs the whole wait, an answer a modelled round trip), malformed answers
/// recorded and skipped, answers for other transactions ignored.
/// </summary>
internal static class DhcpReceive
{
    private static readonly TimeSpan RoundTrip = TimeSpan.FromMilliseconds(1);

    /// <param name="decode">Decodes a datagram; throws ProtocolException when malformed.</param>
    /// <param name="mine">Whether the decoded message answers this client's transaction.</param>
    public static async Task<(T Message, IPEndPoint From)?> NextAsync<T>(
        ILabUdpSocket socket, SimClock clock, IEventSink events, string source, string family,
        Func<byte[], T> decode, Func<T, bool> mine, TimeSpan timeout, CancellationToken cancellationToken)
    {
        while (timeout > TimeSpan.Zero)
        {
            var before = clock.Elapsed;
            var received = await socket.ReceiveAsync(timeout, cancellationToken).ConfigureAwait(false);
            if (received is not { } datagram)
            {
                // The whole wait passed (what the link already spent of it is not counted twice).
                clock.Advance(SimClock.Remaining(timeout, clock.Elapsed - before));
                return null;
            }
            // An answer costs a modelled round trip on top of any delay the link added.
            clock.Advance(RoundTrip);
            timeout -= clock.Elapsed - before;
            T message;
            try
            {
                message = decode(datagram.Payload);
            }
            catch (Protocols.ProtocolException e)
            {
                events.Record(source, EventKinds.DhcpOfferRejected, $"malformed {family} message from {datagram.Source.Address}: {e.Message}",
                    ("server", datagram.Source.Address), ("reason", e.Message), ("offset", e.Offset), ("family", family));
                continue;
            }
            if (mine(message))
            {
                return (message, datagram.Source);
            }
        }
        return null;
    }
}
