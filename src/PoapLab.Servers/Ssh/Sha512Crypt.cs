using System.Security.Cryptography;
using System.Text;

namespace PoapLab.Servers.Ssh;

/// <summary>
/// The SHA-512 password hash of glibc and libxcrypt (<c>$6$salt$...</c>), as U. Drepper's
/// "Unix crypt using SHA-256 and SHA-512" specifies it: what sshd's <c>crypt(3)</c> checks a
/// password against in the shadow file we generate. Computed here so the password never
/// leaves the process on a command line or a pipe to a host tool.
/// </summary>
internal static class Sha512Crypt
{
    private const string Alphabet = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    private const int DefaultRounds = 5000;

    /// <summary>A hash of <paramref name="password"/> with a fresh random 16-character salt.</summary>
    public static string Hash(string password)
    {
        var salt = new char[16];
        for (var i = 0; i < salt.Length; i++)
        {
            salt[i] = Alphabet[RandomNumberGenerator.GetInt32(Alphabet.Length)];
        }
        return Hash(password, new string(salt));
    }

    /// <summary>The hash of <paramref name="password"/> with <paramref name="salt"/> (at most 16 characters are used).</summary>
    public static string Hash(string password, string salt)
    {
        ArgumentNullException.ThrowIfNull(password);
        ArgumentNullException.ThrowIfNull(salt);
        if (salt.Length > 16)
        {
            salt = salt[..16];
        }
        if (salt.Any(c => c is '$' or ':' or '\n'))
        {
            throw new ArgumentException("The salt cannot hold '$', ':' or a line break.", nameof(salt));
        }
        var p = Encoding.UTF8.GetBytes(password);
        var s = Encoding.UTF8.GetBytes(salt);

        // Steps 4-8: digest B = SHA512(P S P).
        var b = SHA512.HashData([.. p, .. s, .. p]);
        // Steps 1-3, 9-12: digest A.
        using var a = IncrementalHash.CreateHash(HashAlgorithmName.SHA512);
        a.AppendData(p);
        a.AppendData(s);
        AppendRepeated(a, b, p.Length);
        for (var n = p.Length; n > 0; n >>= 1)
        {
            a.AppendData((n & 1) != 0 ? b : p);
        }
        var c = a.GetHashAndReset();
        // Steps 13-16: P' from P repeated |P| times; steps 17-20: S' from S repeated 16 + A[0] times.
        using var dp = IncrementalHash.CreateHash(HashAlgorithmName.SHA512);
        for (var i = 0; i < p.Length; i++)
        {
            dp.AppendData(p);
        }
        var pSequence = Repeat(dp.GetHashAndReset(), p.Length);
        using var ds = IncrementalHash.CreateHash(HashAlgorithmName.SHA512);
        for (var i = 0; i < 16 + c[0]; i++)
        {
            ds.AppendData(s);
        }
        var sSequence = Repeat(ds.GetHashAndReset(), s.Length);
        // Step 21: the rounds.
        using var round = IncrementalHash.CreateHash(HashAlgorithmName.SHA512);
        for (var i = 0; i < DefaultRounds; i++)
        {
            round.AppendData((i & 1) != 0 ? pSequence : c);
            if (i % 3 != 0)
            {
                round.AppendData(sSequence);
            }
            if (i % 7 != 0)
            {
                round.AppendData(pSequence);
            }
            round.AppendData((i & 1) != 0 ? c : pSequence);
            c = round.GetHashAndReset();
        }
        // Step 22: the output, bytes taken in the specification's order.
        var text = new StringBuilder("$6$").Append(salt).Append('$');
        for (var k = 0; k < 21; k++)
        {
            int x = k, y = k + 21, z = k + 42;
            (int b2, int b1, int b0) = (k % 3) switch
            {
                0 => (c[x], c[y], c[z]),
                1 => (c[y], c[z], c[x]),
                _ => (c[z], c[x], c[y]),
            };
            Encode(text, (b2 << 16) | (b1 << 8) | b0, 4);
        }
        Encode(text, c[63], 2);
        return text.ToString();
    }

    private static void AppendRepeated(IncrementalHash hash, byte[] block, int length)
    {
        for (var n = length; n > 0; n -= block.Length)
        {
            hash.AppendData(block, 0, Math.Min(n, block.Length));
        }
    }

    private static byte[] Repeat(byte[] block, int length)
    {
        var result = new byte[length];
        for (var i = 0; i < length; i++)
        {
            result[i] = block[i % block.Length];
        }
        return result;
    }

    private static void Encode(StringBuilder text, int value, int count)
    {
        for (var i = 0; i < count; i++)
        {
            text.Append(Alphabet[value & 0x3f]);
            value >>= 6;
        }
    }
}
