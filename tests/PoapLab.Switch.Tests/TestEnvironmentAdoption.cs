// Every test here fails on an unobserved task exception or an error a server or the lab
// records that the test did not declare (TestEnvironment.Current.ExpectError).
[assembly: PoapLab.Testing.CheckTestEnvironment]
