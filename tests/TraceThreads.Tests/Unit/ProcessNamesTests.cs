using TraceThreads.Load;

namespace TraceThreads.Tests.Unit;

public class ProcessNamesTests
{
    [Theory]
    [InlineData("dotnet /app/MyApi.dll --urls x", "MyApi")]
    [InlineData("/app/MyApi", "MyApi")]
    [InlineData("\"C:\\Program Files\\dotnet\\dotnet.exe\" C:\\app\\MyApi.dll", "MyApi")]
    [InlineData("\"C:\\apps\\My Tool\\tool.exe\" --x", "tool")]
    [InlineData("C:\\work\\repro\\\\runtime\\corerun.exe  C:\\work\\repro\\\\arraytypesapp.dll", "arraytypesapp")]
    [InlineData("/Users/me/pub/NoNativeStacks /Users/me/pub/NoNativeStacks.dll", "NoNativeStacks")]
    public void Process_name_is_the_file_name_users_know_without_quotes_path_or_extension(string commandLine, string expected) =>
        Assert.Equal(expected, ProcessNames.FromCommandLine(commandLine));
}
