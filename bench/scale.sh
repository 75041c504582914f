#!/usr/bin/env bash
# analyze on processes with very many threads: time, peak RSS and report size on two recordings of bench/BusyApp:
#   live5000   5,000 threads alive at once (parked), held 5 s;
#   churn100k  100,000 short-lived threads created over the trace (at most 32 alive at a time).
# Each load is recorded ONCE with `trace-threads collect` in launch mode (census and pthread hook on, the defaults),
# cached in bench/out/scale/, then analyzed in every report format with /usr/bin/time -v (wall time, peak RSS).
# These recordings load a 2-core machine hard: the script refuses to record while the 1-minute load average is 4 or
# more (FORCE=1 overrides). Never part of the test suite; ScaleReportTests is its small version.
#
# Knobs (environment): REFRESH=1 records again; LOADS="live5000 churn100k"; DOTNET_TRACE=path also records each load
# once with dotnet-trace (default providers of collect) when set; FORMATS="text json html perfetto".
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
LOADS=${LOADS:-"live5000 churn100k"}
FORMATS=${FORMATS:-"text json html perfetto"}
OUT=bench/out/scale
mkdir -p "$OUT"

echo "== build (Release)"
dotnet build src/TraceThreads -c Release -nologo -v q >/dev/null
dotnet build bench/BusyApp -c Release -nologo -v q >/dev/null
TT=src/TraceThreads/bin/Release/net10.0/trace-threads
BUSY=bench/BusyApp/bin/Release/net10.0/BusyApp.dll

quiet_enough() {
  local load; load=$(cut -d' ' -f1 /proc/loadavg)
  if [ "${FORCE:-0}" != 1 ] && awk -v l="$load" 'BEGIN { exit !(l >= 4) }'; then
    echo "load average $load >= 4: not recording now (FORCE=1 to record anyway)" >&2; return 1
  fi
}

record() {
  local load=$1 file="$OUT/$1.nettrace"
  if [ -s "$file" ] && [ "${REFRESH:-0}" != 1 ]; then echo "   $load: cached $file"; return; fi
  quiet_enough || exit 3
  echo "== record $load (collect, launch mode; load average $(cut -d' ' -f1-3 /proc/loadavg))"
  rm -f "$file" "$file".*.jsonl "$file".pthreads
  /usr/bin/time -f "%e s wall, %M KB peak RSS (collect)" -o "$OUT/$load.collect.time" \
    "$TT" collect -o "$file" -- dotnet "$BUSY" scale "$load" </dev/null >"$OUT/$load.collect.log" 2>&1 \
    || { echo "collect failed, see $OUT/$load.collect.log"; exit 1; }
  echo "   $(cat "$OUT/$load.collect.time"); $(grep -h "threads" "$OUT/$load.collect.log" | head -1)"
  if [ -n "${DOTNET_TRACE:-}" ]; then
    quiet_enough || exit 3
    "$DOTNET_TRACE" collect --providers "Microsoft-Windows-DotNETRuntime:0x80010018:4" -o "$OUT/$load.dotnet-trace.nettrace" \
      -- dotnet "$BUSY" scale "$load" </dev/null >"$OUT/$load.dotnet-trace.log" 2>&1 || echo "   dotnet-trace failed (see its log)"
  fi
}

# analyze_one TRACE FORMAT: one analyze in a fresh process; prints "wall_s peak_kb report_bytes report_lines".
analyze_one() {
  local trace=$1 format=$2 report="$OUT/$(basename "$1").$2.out" tf="$OUT/time.tmp" rc=0
  /usr/bin/time -f "%e %M" -o "$tf" "$TT" analyze "$trace" --format "$format" -o "$report" >/dev/null 2>"$OUT/analyze.err" || rc=$?
  [ "$rc" = 0 ] || [ "$rc" = 11 ] || { echo "analyze $trace --format $format exited $rc:"; cat "$OUT/analyze.err"; exit 1; }
  echo "$(tail -1 "$tf") $(stat -c %s "$report") $(wc -l <"$report")"
}

for load in $LOADS; do record "$load"; done
[ -n "${DOTNET_TRACE:-}" ] && for load in $LOADS; do [ -s "$OUT/$load.dotnet-trace.nettrace" ] && TRACES_EXTRA+=" $OUT/$load.dotnet-trace.nettrace"; done

echo
echo "== analyze ($(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg), $(date -u '+%Y-%m-%d %H:%M UTC'))"
printf '%-34s %10s %12s %8s %9s %10s %12s %9s\n' trace "size MB" events threads format "wall s" "peak RSS MB" "out lines"
for trace in $(for l in $LOADS; do echo "$OUT/$l.nettrace"; done) ${TRACES_EXTRA:-}; do
  [ -s "$trace" ] || continue
  size=$(awk -v b="$(stat -c %s "$trace")" 'BEGIN { printf "%.1f", b / 1048576 }')
  for format in $FORMATS; do
    read -r wall kb bytes lines <<<"$(analyze_one "$trace" "$format")"
    text="$OUT/$(basename "$trace").text.out"
    events=$(grep -m1 -o '[0-9,]* events' "$text" 2>/dev/null | cut -d' ' -f1 || true)
    threads=$(grep -m1 -o 'THREADS: [0-9,]*' "$text" 2>/dev/null | cut -d' ' -f2 || true)
    printf '%-34s %10s %12s %8s %9s %10s %12s %9s\n' "$(basename "$trace")" "$size" "${events:-?}" "${threads:-?}" "$format" "$wall" "$((kb / 1024))" "$lines"
  done
done

echo
echo "== text report of each (head, warnings, the table's notes)"
for load in $LOADS; do
  text="$OUT/$load.nettrace.text.out"
  [ -s "$text" ] || continue
  echo "-- $load"; sed -n '1,12p' "$text"
  grep -E '^ *(\.\.\.|! |warning)' "$text" | head -20
done
