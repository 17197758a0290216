// Every test here fails on an unobserved task exception or an internal error the lab records
// (an exception of a run, a script bridge fault, an sshd that would not stop). Server failure
// events are what the scenarios here provoke and judge with their own expectations.
[assembly: PoapLab.Testing.CheckTestEnvironment(ServerErrorsAreOutcomes = true)]
