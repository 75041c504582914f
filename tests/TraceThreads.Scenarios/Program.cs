using Scenarios;
using Scenarios.Infrastructure;

// The `toplevel` scenario is written here, in top-level statements (what every template generates): threads started
// from a lambda, a local function and an async local function, whose compiler names (Program+<>c.<<Main>$>b__0_0,
// Program.<<Main>$>g__StartFromLocalFunction|0_1, Program+<<<Main>$>g__StartFromAsync|0_2>d.MoveNext) must read as the
// method they were written in: Program.Main.
ScenarioCatalog.TopLevel = context =>
{
    var fromLambda = context.Expect(Categories.User, Roles.UserThread, "Program.Main (top-level statements)", false, "new Thread in a lambda written in top-level statements");
    new Thread(() => fromLambda.ArriveAndPark()) { IsBackground = true, Name = "toplevel-lambda" }.Start();
    StartFromLocalFunction(context);
    StartFromAsync(context).GetAwaiter().GetResult();
    context.Census();
};

return ScenarioProgram.Run(args);

static void StartFromLocalFunction(ScenarioContext context)
{
    var expected = context.Expect(Categories.User, Roles.UserThread, "Program.Main (top-level statements)", false, "new Thread in a local function of the top-level statements");
    new Thread(expected.ArriveAndPark) { IsBackground = true, Name = "toplevel-local" }.Start();
}

static async Task StartFromAsync(ScenarioContext context)
{
    // Resumes on a pool thread: user code creating a thread from a pool worker is still the user's thread.
    await Task.Yield();
    var expected = context.Expect(Categories.User, Roles.UserThread, "Program.Main (top-level statements)", false, "new Thread in an async local function of the top-level statements, after an await (on a pool thread)");
    new Thread(expected.ArriveAndPark) { IsBackground = true, Name = "toplevel-async" }.Start();
}
