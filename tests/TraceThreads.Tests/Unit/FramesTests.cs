using TraceThreads.Attribution;

namespace TraceThreads.Tests.Unit;

public class FramesTests
{
    [Theory]
    [InlineData("MyApp.Workers+<>c.<StartAll>b__0_0", "MyApp.Workers.StartAll")]
    [InlineData("MyApp.Workers+<>c__DisplayClass3_0.<Start>b__1", "MyApp.Workers.Start")]
    [InlineData("MyApp.Api+<GetAsync>d__5.MoveNext", "MyApp.Api.GetAsync")]
    [InlineData("MyApp.Program.<Main>g__Spawn|0_1", "MyApp.Program.Main")]
    [InlineData("MyApp.Cache`1[System.__Canon].Refresh", "MyApp.Cache.Refresh")]
    [InlineData("MyApp.Program.Main", "MyApp.Program.Main")]
    // Top-level statements (issue 7 item 8): one form for the method, its async state machine, lambdas and local functions.
    [InlineData("Program.<Main>$", "Program.Main (top-level statements)")]
    [InlineData("Program+<<Main>$>d__0.MoveNext", "Program.Main (top-level statements)")]
    [InlineData("Program+<>c.<<Main>$>b__0_2", "Program.Main (top-level statements)")]
    [InlineData("Program+<>c__DisplayClass0_0.<<Main>$>b__1", "Program.Main (top-level statements)")]
    [InlineData("Program.<<Main>$>g__Spawn|0_0", "Program.Main (top-level statements)")]
    [InlineData("MyApp.Worker+<RunAsync>d__4.MoveNext", "MyApp.Worker.RunAsync")]
    [InlineData("Program.<<Main>$>g__StartFromLocalFunction|0_1", "Program.Main (top-level statements)")]
    [InlineData("Program+<<<Main>$>g__StartFromAsync|0_2>d.MoveNext", "Program.Main (top-level statements)")]
    [InlineData("MyApp.Program+<<Main>g__Fetch|0_2>d.MoveNext", "MyApp.Program.Main")]
    public void Compiler_generated_names_map_to_the_source_method(string frame, string expected) =>
        Assert.Equal(expected, Frames.ToSourceMethod(frame));

    [Fact]
    public void First_user_frame_skips_runtime_framework_and_native_frames()
    {
        string[] stack = ["System.Threading.Thread.StartCore", "[native]", "Microsoft.Extensions.Hosting.Internal.Host.StartAsync", "Interop+Sys.Foo", "Contoso.Worker.Boot"];
        Assert.Equal("Contoso.Worker.Boot", Frames.FirstUserFrame(stack));
        Assert.Null(Frames.FirstUserFrame(["System.Threading.Thread.StartCore"]));
    }

    [Theory]
    [InlineData("MyApp.Program.Main", true)]
    [InlineData("Program.<Main>$", true)]
    [InlineData("MyApp.Program.<Main>", true)]
    [InlineData("MyApp.Program+<>c.<Main>b__0_0", false)]
    [InlineData("Program+<<Main>$>d__0.MoveNext", false)]
    [InlineData("System.AppContext.Main", false)]
    public void Entry_point_is_Main_itself_never_code_written_inside_it(string frame, bool expected) =>
        Assert.Equal(expected, Frames.IsEntryPoint(frame));
}
