using System.Runtime.InteropServices;

namespace PoapLab.Core.Native;

/// <summary><c>struct iovec</c> (iovec(3type)): one buffer of a scatter/gather call.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct IoVector
{
    public nint Base;
    public nuint Length;
}

/// <summary>
/// <c>struct msghdr</c> (sendmsg(2)) on a 64-bit Linux: the names, buffers and ancillary data of
/// one message, for the callers that need what .NET's sockets do not offer (SCM_RIGHTS,
/// sendmmsg(2) batches).
/// </summary>
[StructLayout(LayoutKind.Sequential)]
public struct MessageHeader
{
    public nint Name;
    public uint NameLength;
    public nint Iov;
    public nuint IovLength;
    public nint Control;
    public nuint ControlLength;
    public int Flags;
}
