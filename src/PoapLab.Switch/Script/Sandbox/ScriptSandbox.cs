namespace PoapLab.Switch.Script.Sandbox;

/// <summary>Who builds a script run's sandbox. Both build the same one (<see cref="SandboxPlan"/>).</summary>
public enum ScriptSandbox
{
    /// <summary>The fork server where it can (PoapLab is root, Python 3.9+), bubblewrap otherwise.</summary>
    Auto,

    /// <summary>bubblewrap, prlimit and setpriv, and a fresh interpreter per run.</summary>
    Bubblewrap,

    /// <summary>PoapLab's fork server (<see cref="ForkServer"/>): a run that cannot use it fails to start.</summary>
    ForkServer,
}

/// <summary>Reading <see cref="ScriptSandbox"/> from the environment.</summary>
public static class ScriptSandboxes
{
    /// <summary>The variable that picks the sandbox for every run of the process: <c>auto</c>, <c>bwrap</c> or <c>forkserver</c>.</summary>
    public const string Variable = "POAPLAB_SCRIPT_SANDBOX";

    /// <summary>The sandbox <see cref="Variable"/> names; <see cref="ScriptSandbox.Auto"/> when it is unset.</summary>
    /// <exception cref="InvalidOperationException">The variable names none.</exception>
    public static ScriptSandbox FromEnvironment() => Parse(Environment.GetEnvironmentVariable(Variable));

    public static ScriptSandbox Parse(string? value) => value?.Trim().ToLowerInvariant() switch
    {
        null or "" or "auto" => ScriptSandbox.Auto,
        "bwrap" or "bubblewrap" => ScriptSandbox.Bubblewrap,
        "forkserver" or "fork-server" => ScriptSandbox.ForkServer,
        _ => throw new InvalidOperationException($"{Variable}='{value}' names no script sandbox: use auto, bwrap or forkserver"),
    };
}
