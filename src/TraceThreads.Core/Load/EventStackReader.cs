using System.Reflection;
using System.Reflection.Emit;
using System.Runtime.InteropServices;
using Microsoft.Diagnostics.Tracing;

namespace TraceThreads.Load;

/// <summary>
/// Reads the instruction pointers EventPipe attached to an event, straight from the raw reader.
/// TraceEvent exposes them publicly only through TraceLog, which means converting the whole trace to an .etlx first
/// (a second full pass and a temporary file). EventPipeEventSource (TraceEvent 4.0) hands each event's stack to its
/// consumers as an ETW-style extended data item of type STACK_TRACE64 whose data starts with an unused 8-byte MatchId
/// (see EventPipeEventSource.ConvertEventHeaderToRecord). We read that item through the event's internal record pointer.
/// Offsets come from TraceEvent's own struct definitions via reflection, so a layout change fails loudly in
/// <see cref="IsSupported"/> (and in the test that compares our stacks with TraceLog's), never silently.
/// </summary>
internal static unsafe class EventStackReader
{
    private const ushort StackTrace32 = 5;
    private const ushort StackTrace64 = 6;

    private static readonly Func<TraceEvent, IntPtr>? GetRecord;
    private static readonly int ExtendedDataCountOffset;
    private static readonly int ExtendedDataOffset;
    private static readonly int ItemExtTypeOffset;
    private static readonly int ItemDataSizeOffset;
    private static readonly int ItemDataPtrOffset;
    private static readonly int ItemSize;

    static EventStackReader()
    {
        try
        {
            var field = typeof(TraceEvent).GetField("eventRecord", BindingFlags.NonPublic | BindingFlags.Instance);
            var recordType = field?.FieldType.GetElementType();
            var itemType = recordType?.GetField("ExtendedData")?.FieldType.GetElementType();
            if (field is null || recordType is null || itemType is null)
            {
                return;
            }

            ExtendedDataCountOffset = (int)Marshal.OffsetOf(recordType, "ExtendedDataCount");
            ExtendedDataOffset = (int)Marshal.OffsetOf(recordType, "ExtendedData");
            ItemExtTypeOffset = (int)Marshal.OffsetOf(itemType, "ExtType");
            ItemDataSizeOffset = (int)Marshal.OffsetOf(itemType, "DataSize");
            ItemDataPtrOffset = (int)Marshal.OffsetOf(itemType, "DataPtr");
            ItemSize = Marshal.SizeOf(itemType);

            var method = new DynamicMethod("GetEventRecord", typeof(IntPtr), [typeof(TraceEvent)], typeof(TraceEvent), skipVisibility: true);
            var il = method.GetILGenerator();
            il.Emit(OpCodes.Ldarg_0);
            il.Emit(OpCodes.Ldfld, field);
            il.Emit(OpCodes.Conv_U);
            il.Emit(OpCodes.Ret);
            GetRecord = method.CreateDelegate<Func<TraceEvent, IntPtr>>();
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or MemberAccessException or NotSupportedException)
        {
            GetRecord = null;
        }
    }

    /// <summary>False when this TraceEvent build hides stacks where we do not expect them; analysis goes on without stacks.</summary>
    public static bool IsSupported => GetRecord is not null;

    /// <summary>
    /// The event's stack (leaf first, at most <paramref name="scratch"/>.Length frames; empty when none), valid only
    /// during the callback. A 64-bit stack is a view of the event's own buffer, not a copy: this runs for every sample
    /// of a trace, and the caller usually only compares it. A 32-bit stack is widened into <paramref name="scratch"/>.
    /// </summary>
    public static ReadOnlySpan<ulong> Frames(TraceEvent data, Span<ulong> scratch)
    {
        if (GetRecord is null)
        {
            return default;
        }

        var record = (byte*)GetRecord(data);
        if (record == null)
        {
            return default;
        }

        int count = *(ushort*)(record + ExtendedDataCountOffset);
        var items = *(byte**)(record + ExtendedDataOffset);
        for (var i = 0; i < count && items != null; i++)
        {
            var item = items + (i * ItemSize);
            var type = *(ushort*)(item + ItemExtTypeOffset);
            if (type is not (StackTrace64 or StackTrace32))
            {
                continue;
            }

            int size = *(ushort*)(item + ItemDataSizeOffset);
            var ptr = (byte*)*(ulong*)(item + ItemDataPtrOffset);
            if (ptr == null || size <= 8)
            {
                return default;
            }

            var pointerSize = type == StackTrace64 ? 8 : 4;
            var frames = Math.Min((size - 8) / pointerSize, scratch.Length);
            var frameStart = ptr + 8; // skip MatchId
            if (pointerSize == 8)
            {
                return new ReadOnlySpan<ulong>(frameStart, frames);
            }

            for (var f = 0; f < frames; f++)
            {
                scratch[f] = ((uint*)frameStart)[f];
            }

            return scratch[..frames];
        }

        return default;
    }
}
