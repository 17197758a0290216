using PoapLab.Servers.Ssh;

namespace PoapLab.Servers.Tests.Ssh;

public sealed class Sha512CryptTests
{
    // Golden values: glibc crypt(3) (Python's crypt.crypt on Debian 12) and the test vectors of
    // U. Drepper's specification "Unix crypt using SHA-256 and SHA-512".
    [Theory]
    [InlineData("pw1", "abcdefgh12345678", "$6$abcdefgh12345678$OWd1hch/P65pHFR5QgoXebxxkTX0zEG/v2FGr9T4GiqhQ5Ab6hc64.oR3HsyxpB7QFjyGlSu0OZBCtEi4YXOv0")]
    [InlineData("Hello world!", "saltstring", "$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1")]
    public void Hash_KnownSalt_MatchesCrypt(string password, string salt, string expected) =>
        Sha512Crypt.Hash(password, salt).ShouldBe(expected);

    [Fact]
    public void Hash_FreshSalt_DiffersEachTime() =>
        Sha512Crypt.Hash("pw").ShouldNotBe(Sha512Crypt.Hash("pw"));
}
