using System.Globalization;

namespace PoapLab.Testing;

/// <summary>A process as /proc shows it: its id and its start time, so a reused id is not mistaken for it.</summary>
internal readonly record struct ProcessMark(int Pid, string Comm, long StartTicks);

/// <summary>What a test sees of processes from the host side, through /proc (Linux).</summary>
internal static class ProcessTree
{
    /// <summary>The process's short name, or null when it is gone.</summary>
    public static string? Comm(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/comm").Trim();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>Every process below <paramref name="pid"/>, from /proc's children lists (bounded).</summary>
    public static List<ProcessMark> Descendants(int pid)
    {
        var all = new List<ProcessMark>();
        var queue = new Queue<int>([pid]);
        while (queue.Count > 0 && all.Count < 10_000)
        {
            var p = queue.Dequeue();
            string[] tasks;
            try
            {
                tasks = Directory.GetDirectories($"/proc/{p}/task");
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                continue;
            }
            foreach (var task in tasks)
            {
                string text;
                try
                {
                    text = File.ReadAllText(Path.Combine(task, "children"));
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    continue;
                }
                foreach (var child in text.Split(' ', StringSplitOptions.RemoveEmptyEntries))
                {
                    var c = int.Parse(child, CultureInfo.InvariantCulture);
                    if (Mark(c) is { } mark)
                    {
                        all.Add(mark);
                        queue.Enqueue(c);
                    }
                }
            }
        }
        return all;
    }

    /// <summary>The process now at <paramref name="pid"/>, or null when there is none.</summary>
    public static ProcessMark? Mark(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            // proc(5): "pid (comm) state ppid ...": fields after the last ')' from state (3) on; starttime is 22.
            var close = stat.LastIndexOf(')');
            var fields = stat[(close + 2)..].Split(' ');
            return new ProcessMark(pid, stat[(stat.IndexOf('(') + 1)..close], long.Parse(fields[19], CultureInfo.InvariantCulture));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return null;
        }
    }

    /// <summary>Every process of process group <paramref name="group"/>, zombies included, as "pid (comm) state S".</summary>
    public static List<string> OfGroup(int group)
    {
        var found = new List<string>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out _))
            {
                continue;
            }
            try
            {
                // /proc/PID/stat: "pid (comm) state ppid pgrp ...": comm may hold spaces, so after the last ')'.
                var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                var end = stat.LastIndexOf(')');
                var fields = stat[(end + 2)..].Split(' ');
                if (int.Parse(fields[2], CultureInfo.InvariantCulture) == group)
                {
                    found.Add($"{stat[..(end + 1)]} state {fields[0]}");
                }
            }
            catch (IOException)
            {
                // Gone while we read.
            }
        }
        return found;
    }

    /// <summary>True while <paramref name="mark"/>'s process runs (a zombie has ended: it only waits to be reaped).</summary>
    public static bool IsAlive(ProcessMark mark)
    {
        if (Mark(mark.Pid) is not { } now || now.StartTicks != mark.StartTicks)
        {
            return false;
        }
        try
        {
            var stat = File.ReadAllText($"/proc/{mark.Pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)] is not ('Z' or 'X');
        }
        catch (IOException)
        {
            return false;
        }
    }
}
