namespace TraceThreads.Load.Etl;

/// <summary>
/// The "plain LZ77" variant of Microsoft's Xpress compression ([MS-XCA] 2.3/2.4), which ETW uses for compressed
/// buffers (buffer flag 0x40, written by PerfView's and WPR's compressed logging). Bounded: it never writes past
/// the output span and never reads past the input, whatever the input holds.
/// </summary>
internal static class Xpress
{
    /// <summary>Decompresses <paramref name="input"/> into <paramref name="output"/>; returns the bytes written, or -1 when the input is corrupt.</summary>
    public static int Decompress(ReadOnlySpan<byte> input, Span<byte> output) =>
        Decompress(input, output, out var written) ? written : -1;

    /// <summary>
    /// As <see cref="Decompress(ReadOnlySpan{byte}, Span{byte})"/>, but says how far it got when the input breaks off or
    /// turns corrupt (<paramref name="written"/>): the bytes before that point are sound, which is what a buffer cut
    /// short by the end of the file still holds.
    /// </summary>
    public static bool Decompress(ReadOnlySpan<byte> input, Span<byte> output, out int written)
    {
        uint flags = 0;
        var flagCount = 0;
        var inPos = 0;
        var outPos = 0;
        var lastLengthHalfByte = -1;
        while (true)
        {
            if (flagCount == 0)
            {
                if (inPos + 4 > input.Length)
                {
                    written = outPos;
                    return true;
                }

                flags = BitConverter.ToUInt32(input[inPos..]);
                inPos += 4;
                flagCount = 32;
            }

            flagCount--;
            if ((flags & (1u << flagCount)) == 0)
            {
                if (inPos >= input.Length || outPos >= output.Length)
                {
                    written = outPos;
                    return true;
                }

                output[outPos++] = input[inPos++];
                continue;
            }

            if (inPos == input.Length)
            {
                written = outPos;
                return true;
            }

            if (inPos + 2 > input.Length)
            {
                written = outPos;
                return false;
            }

            int matchBytes = BitConverter.ToUInt16(input[inPos..]);
            inPos += 2;
            var length = matchBytes & 7;
            var offset = (matchBytes >> 3) + 1;
            if (length == 7)
            {
                if (lastLengthHalfByte < 0)
                {
                    if (inPos >= input.Length)
                    {
                        written = outPos;
                        return false;
                    }

                    length = input[inPos] & 15;
                    lastLengthHalfByte = inPos++;
                }
                else
                {
                    length = input[lastLengthHalfByte] >> 4;
                    lastLengthHalfByte = -1;
                }

                if (length == 15)
                {
                    if (inPos >= input.Length)
                    {
                        written = outPos;
                        return false;
                    }

                    length = input[inPos++];
                    if (length == 255)
                    {
                        if (inPos + 2 > input.Length)
                        {
                            written = outPos;
                            return false;
                        }

                        length = BitConverter.ToUInt16(input[inPos..]);
                        inPos += 2;
                        if (length == 0)
                        {
                            if (inPos + 4 > input.Length)
                            {
                                written = outPos;
                                return false;
                            }

                            var wide = BitConverter.ToUInt32(input[inPos..]);
                            inPos += 4;
                            if (wide > int.MaxValue)
                            {
                                written = outPos;
                                return false;
                            }

                            length = (int)wide;
                        }

                        if (length < 15 + 7)
                        {
                            written = outPos;
                            return false;
                        }

                        length -= 15 + 7;
                    }

                    length += 15;
                }

                length += 7;
            }

            length += 3;
            if (offset > outPos || (long)outPos + length > output.Length)
            {
                written = outPos;
                return false;
            }

            // Overlapping copies are the point of LZ77 (a run repeats its own output), so copy byte by byte.
            for (var i = 0; i < length; i++, outPos++)
            {
                output[outPos] = output[outPos - offset];
            }
        }
    }
}
