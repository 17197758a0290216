using PoapLab.Switch.Script.Sandbox;

namespace PoapLab.Switch.Tests.Script;

/// <summary>The ways a script's sandbox is built, for tests that must hold in each.</summary>
public static class SandboxKinds
{
    /// <summary>bubblewrap, and the fork server where PoapLab would use it (as root).</summary>
    public static ScriptSandbox[] All => Environment.IsPrivilegedProcess
        ? [ScriptSandbox.Bubblewrap, ScriptSandbox.ForkServer]
        : [ScriptSandbox.Bubblewrap];

    public static TheoryData<ScriptSandbox> Each => [.. All];
}
