using PoapLab.Switch.Script;

namespace PoapLab.Switch.Tests.Script;

public sealed class ShebangTests
{
    [Theory]
    [InlineData("#!/bin/env python3", "3")]
    [InlineData("#!/usr/bin/env python3\r", "3")]
    [InlineData("#!/isan/bin/python3", "3")]
    [InlineData("#!/usr/bin/python3.7", "3")]
    [InlineData("#!/bin/env python", "2")]
    [InlineData("#!/usr/bin/env python2.7", "2")]
    [InlineData("#!/usr/bin/python", "2")]
    [InlineData("#! /usr/bin/env -S python3 -u", "3")]
    public void PythonOf_PythonShebangs_NameTheMajor(string line, string major) => Shebang.PythonOf(line).ShouldBe(major);

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("#md5sum=\"0123\"")]
    [InlineData("#!/bin/bash")]
    [InlineData("#!")]
    [InlineData("#!/usr/bin/env")]
    [InlineData("#!/usr/bin/env pythonx")]
    [InlineData("import os")]
    public void PythonOf_NoPythonShebang_Null(string? line) => Shebang.PythonOf(line).ShouldBeNull();
}
