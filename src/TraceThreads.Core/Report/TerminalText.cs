using System.Globalization;
using System.Text;

namespace TraceThreads.Report;

/// <summary>
/// Thread names, command lines and stack frames come from the traced process and are untrusted: a name can carry
/// ANSI escape sequences that would recolour or rewrite the user's terminal. Everything from a trace passes through
/// here before it is printed; control characters are shown as visible escapes instead.
/// </summary>
public static class TerminalText
{
    public static string Escape(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return text ?? string.Empty;
        }

        StringBuilder? sb = null;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            var category = char.GetUnicodeCategory(c);
            var unsafeChar = char.IsControl(c)
                || category == UnicodeCategory.Format          // bidi overrides, zero-width joiners
                || category == UnicodeCategory.LineSeparator
                || category == UnicodeCategory.ParagraphSeparator
                || (char.IsSurrogate(c) && !(char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1])) && !(char.IsLowSurrogate(c) && i > 0 && char.IsHighSurrogate(text[i - 1])));
            if (!unsafeChar)
            {
                sb?.Append(c);
                continue;
            }

            sb ??= new StringBuilder(text, 0, i, text.Length + 16);
            sb.Append(c switch
            {
                '\n' => "\\n",
                '\r' => "\\r",
                '\t' => "\\t",
                '\x1b' => "\\e",
                _ => c <= 0xFF ? $"\\x{(int)c:x2}" : $"\\u{(int)c:x4}",
            });
        }

        return sb?.ToString() ?? text;
    }
}
