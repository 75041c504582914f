using System.Globalization;
using System.Text;

namespace TraceThreads.Capture.Census;

/// <summary>One thread as one read of <c>/proc/&lt;pid&gt;/task/&lt;tid&gt;/stat</c> showed it.</summary>
/// <param name="Name">comm: at most 15 bytes; a new thread carries its creator's until renamed.</param>
/// <param name="State">R, S, D, Z, T, t, X, I, ...</param>
/// <param name="UTime">User CPU in clock ticks (<c>sysconf(_SC_CLK_TCK)</c>, 100 per second on Linux).</param>
/// <param name="STime">System CPU in clock ticks.</param>
/// <param name="Threads">num_threads (field 20): the number of threads of the whole process, 0 when not read.</param>
internal readonly record struct TaskSample(int Tid, string Name, char State, ulong UTime, ulong STime, int Threads = 0)
{
    /// <summary>
    /// Parses a stat line. comm sits between the first '(' and the LAST ')' because a name may itself contain
    /// ')' or spaces; the fields after it are space-separated: state is field 3, utime 14, stime 15 and num_threads 20
    /// (proc(5)); a line cut after stime still parses, with no thread count.
    /// </summary>
    public static bool TryParse(ReadOnlySpan<byte> stat, out TaskSample sample)
    {
        sample = default;
        var open = stat.IndexOf((byte)'(');
        var close = stat.LastIndexOf((byte)')');
        if (open <= 0 || close < open || close + 2 >= stat.Length)
        {
            return false;
        }

        if (!int.TryParse(Encoding.ASCII.GetString(stat[..open]).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var tid))
        {
            return false;
        }

        var name = Encoding.UTF8.GetString(stat[(open + 1)..close]);
        var rest = stat[(close + 2)..];
        char state = '?';
        ulong utime = 0, stime = 0;
        var threads = 0;
        var field = 3;
        while (rest.Length > 0 && field <= 20)
        {
            var space = rest.IndexOf((byte)' ');
            var token = space < 0 ? rest : rest[..space];
            switch (field)
            {
                case 3:
                    state = token.Length > 0 ? (char)token[0] : '?';
                    break;
                case 14:
                    if (!ulong.TryParse(token, NumberStyles.None, CultureInfo.InvariantCulture, out utime))
                    {
                        return false;
                    }

                    break;
                case 15:
                    if (!ulong.TryParse(token, NumberStyles.None, CultureInfo.InvariantCulture, out stime))
                    {
                        return false;
                    }

                    break;
                case 20:
                    _ = int.TryParse(token, NumberStyles.None, CultureInfo.InvariantCulture, out threads);
                    break;
            }

            field++;
            rest = space < 0 ? [] : rest[(space + 1)..];
        }

        if (field <= 15)
        {
            return false;
        }

        sample = new TaskSample(tid, name, state, utime, stime, threads);
        return true;
    }
}
