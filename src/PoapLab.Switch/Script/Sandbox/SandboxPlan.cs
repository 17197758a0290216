using System.Globalization;
using System.Text.Json;

namespace PoapLab.Switch.Script.Sandbox;

/// <summary>
/// What one script run's sandbox is made of, independent of who builds it: the root's steps
/// in order, the environment, the limits, the identity and the command. bubblewrap builds it
/// from <see cref="BwrapArguments"/>; PoapLab's fork server (<see cref="ForkServer"/>) from
/// <see cref="ToJson"/>, step for step the same.
/// </summary>
/// <param name="Steps">The root's construction, in order (the first is the root's own tmpfs).</param>
/// <param name="Environment">The script's whole environment, nothing else of PoapLab's.</param>
/// <param name="WorkingDirectory">Where the script starts (as the switch sees it).</param>
/// <param name="Hostname">The sandbox's UTS host name.</param>
/// <param name="Limits">The run's resource limits (soft = hard).</param>
/// <param name="Identity">The run's own uid and gid on the host, or PoapLab's own in a user namespace.</param>
/// <param name="Command">The interpreter's command line: executable, options, the script.</param>
/// <param name="PythonPath">PYTHONPATH's entries, which the fork server puts after the script's directory.</param>
/// <param name="Seccomp">The seccomp program (<see cref="SeccompFilter.Build()"/>).</param>
internal sealed record SandboxPlan(
    IReadOnlyList<SandboxStep> Steps,
    IReadOnlyList<KeyValuePair<string, string>> Environment,
    string WorkingDirectory,
    string Hostname,
    SandboxLimits Limits,
    SandboxIdentity Identity,
    IReadOnlyList<string> Command,
    IReadOnlyList<string> PythonPath,
    byte[] Seccomp)
{
    /// <summary>The script as the switch sees it (the command's last word).</summary>
    public string ScriptPath => Command[^1];

    /// <summary>bubblewrap's options for the plan, up to the command (its seccomp program read from <paramref name="seccompFd"/>).</summary>
    public IEnumerable<string> BwrapArguments(int seccompFd)
    {
        foreach (var step in Steps)
        {
            foreach (var word in step.BwrapArguments())
            {
                yield return word;
            }
        }
        // No network: the script reaches servers only through `copy` on the switch's CLI.
        yield return "--unshare-ipc";
        yield return "--unshare-pid";
        yield return "--unshare-net";
        yield return "--unshare-uts";
        yield return "--unshare-cgroup-try";
        if (!Identity.Dedicated)
        {
            // PoapLab is an ordinary user: bwrap's unprivileged mode, in a user namespace of
            // its own that the script cannot nest another in.
            yield return "--unshare-user";
            yield return "--disable-userns";
            yield return "--cap-drop";
            yield return "ALL";
        }
        yield return "--hostname";
        yield return Hostname;
        yield return "--die-with-parent";
        yield return "--new-session";
        yield return "--seccomp";
        yield return seccompFd.ToString(CultureInfo.InvariantCulture);
        yield return "--clearenv";
        foreach (var (name, value) in Environment)
        {
            yield return "--setenv";
            yield return name;
            yield return value;
        }
        yield return "--chdir";
        yield return WorkingDirectory;
    }

    /// <summary>The plan as the fork server reads it: one line of JSON.</summary>
    public byte[] ToJson()
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteStartArray("mounts");
            foreach (var step in Steps)
            {
                json.WriteStartObject();
                step.WriteJson(json);
                json.WriteEndObject();
            }
            json.WriteEndArray();
            json.WriteString("hostname", Hostname);
            json.WriteStartObject("limits");
            foreach (var (name, value) in Limits.Rlimits())
            {
                json.WriteNumber(name, value);
            }
            json.WriteEndObject();
            if (Identity is { HostUid: { } uid, HostGid: { } gid })
            {
                json.WriteNumber("uid", uid);
                json.WriteNumber("gid", gid);
            }
            json.WriteString("cwd", WorkingDirectory);
            json.WriteStartArray("env");
            foreach (var (name, value) in Environment)
            {
                json.WriteStartArray();
                json.WriteStringValue(name);
                json.WriteStringValue(value);
                json.WriteEndArray();
            }
            json.WriteEndArray();
            json.WriteStartArray("pythonpath");
            foreach (var entry in PythonPath)
            {
                json.WriteStringValue(entry);
            }
            json.WriteEndArray();
            json.WriteString("script", ScriptPath);
            json.WriteStartArray("argv");
            foreach (var word in Command)
            {
                json.WriteStringValue(word);
            }
            json.WriteEndArray();
            json.WriteBase64String("seccomp", Seccomp);
            json.WriteEndObject();
        }
        buffer.WriteByte((byte)'\n');
        return buffer.ToArray();
    }
}

/// <summary>One step of a sandbox root's construction, at <see cref="Destination"/> (as the script sees it).</summary>
internal abstract record SandboxStep(string Destination)
{
    public abstract IEnumerable<string> BwrapArguments();

    public abstract void WriteJson(Utf8JsonWriter json);

    /// <summary>A tmpfs, its size bounded when <paramref name="SizeBytes"/> is set.</summary>
    public sealed record Tmpfs(string Destination, long? SizeBytes = null) : SandboxStep(Destination)
    {
        public override IEnumerable<string> BwrapArguments() => SizeBytes is { } size
            ? ["--size", size.ToString(CultureInfo.InvariantCulture), "--tmpfs", Destination]
            : ["--tmpfs", Destination];

        public override void WriteJson(Utf8JsonWriter json)
        {
            json.WriteString("op", "tmpfs");
            json.WriteString("dst", Destination);
            if (SizeBytes is { } size)
            {
                json.WriteNumber("size", size);
            }
        }
    }

    /// <summary>A host directory or file, bound (no set-user-ID, no devices).</summary>
    public sealed record Bind(string Source, string Destination, bool ReadOnly) : SandboxStep(Destination)
    {
        public override IEnumerable<string> BwrapArguments() => [ReadOnly ? "--ro-bind" : "--bind", Source, Destination];

        public override void WriteJson(Utf8JsonWriter json)
        {
            json.WriteString("op", "bind");
            json.WriteString("src", Source);
            json.WriteString("dst", Destination);
            json.WriteBoolean("ro", ReadOnly);
        }
    }

    /// <summary>A directory of the sandbox's own, with its mode.</summary>
    public sealed record Directory(string Destination, UnixFileMode Mode) : SandboxStep(Destination)
    {
        public override IEnumerable<string> BwrapArguments() => ["--perms", Convert.ToString((int)Mode, 8).PadLeft(4, '0'), "--dir", Destination];

        public override void WriteJson(Utf8JsonWriter json)
        {
            json.WriteString("op", "dir");
            json.WriteString("dst", Destination);
            json.WriteNumber("mode", (int)Mode);
        }
    }

    /// <summary>A symbolic link.</summary>
    public sealed record Symlink(string Target, string Destination) : SandboxStep(Destination)
    {
        public override IEnumerable<string> BwrapArguments() => ["--symlink", Target, Destination];

        public override void WriteJson(Utf8JsonWriter json)
        {
            json.WriteString("op", "symlink");
            json.WriteString("target", Target);
            json.WriteString("dst", Destination);
        }
    }

    /// <summary>A minimal /dev: null, zero, full, random, urandom, tty, the fd links, a pts of its own.</summary>
    public sealed record Devices(string Destination) : SandboxStep(Destination)
    {
        public override IEnumerable<string> BwrapArguments() => ["--dev", Destination];

        public override void WriteJson(Utf8JsonWriter json)
        {
            json.WriteString("op", "dev");
            json.WriteString("dst", Destination);
        }
    }

    /// <summary>A fresh /proc of the sandbox's pid namespace, the kernel's knobs in it read-only.</summary>
    public sealed record Proc(string Destination) : SandboxStep(Destination)
    {
        public override IEnumerable<string> BwrapArguments() => ["--proc", Destination];

        public override void WriteJson(Utf8JsonWriter json)
        {
            json.WriteString("op", "proc");
            json.WriteString("dst", Destination);
        }
    }

    /// <summary>Turns an earlier mount read-only.</summary>
    public sealed record RemountReadOnly(string Destination) : SandboxStep(Destination)
    {
        public override IEnumerable<string> BwrapArguments() => ["--remount-ro", Destination];

        public override void WriteJson(Utf8JsonWriter json)
        {
            json.WriteString("op", "remount-ro");
            json.WriteString("dst", Destination);
        }
    }
}
