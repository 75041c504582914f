#!/usr/bin/env bash
# Throughput and memory of `trace-threads analyze` against the floor set by TraceEvent itself.
# Records (once, cached in bench/out/) a large and a small trace of bench/BusyApp with the default analysis providers,
# then runs `bare` (EventPipeEventSource.Process with a counting AllEvents handler) and `analyze` (TraceAnalysis.Analyze)
# alternately, each in its own process, and prints medians, the ratio analyze/bare and peak RSS small vs large.
# The ratio is the headline: both modes run in the same minutes on the same noisy machine, absolute times are not.
#
# Knobs (environment): N=5 runs per mode on the large trace, N_SMALL=3 on the small one, LARGE_MB=100, SMALL_MB=10,
# MAX_SECONDS=240 (recording cap), REFRESH=1 re-records the traces, DOTNET_TRACE=path to dotnet-trace.
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

N=${N:-5}
N_SMALL=${N_SMALL:-3}
LARGE_MB=${LARGE_MB:-100}
SMALL_MB=${SMALL_MB:-10}
MAX_SECONDS=${MAX_SECONDS:-240}
PROVIDERS="Microsoft-Windows-DotNETRuntime:0x8001001C:5,Microsoft-DotNETCore-SampleProfiler"
OUT=bench/out
mkdir -p "$OUT"

echo "== build (Release)"
dotnet build bench/TraceThreads.Bench -c Release -nologo -v q >/dev/null
dotnet build bench/BusyApp -c Release -nologo -v q >/dev/null
BENCH=bench/TraceThreads.Bench/bin/Release/net10.0/TraceThreads.Bench
BUSY=bench/BusyApp/bin/Release/net10.0/BusyApp.dll

dotnet_trace() {
  if [ -n "${DOTNET_TRACE:-}" ]; then echo "$DOTNET_TRACE"
  elif command -v dotnet-trace >/dev/null; then command -v dotnet-trace
  else
    [ -x /tmp/tools/dotnet-trace ] || dotnet tool install --tool-path /tmp/tools dotnet-trace >/dev/null
    echo /tmp/tools/dotnet-trace
  fi
}

size_mb() { echo $(( $(stat -c %s "$1") / 1048576 )); }

# record NAME TARGET_MB: runs BusyApp under dotnet-trace until the file reaches TARGET_MB (or MAX_SECONDS), then asks
# BusyApp to exit through its stop file, so the session ends normally with rundown (as a real capture would).
record() {
  local name=$1 target_mb=$2 file="$OUT/$1.nettrace"
  if [ -s "$file" ] && [ "${REFRESH:-0}" != 1 ]; then
    echo "   $name: cached $file ($(size_mb "$file") MB)"; return
  fi

  local tool tmp="$OUT/$name.recording.nettrace" stop="$OUT/$name.stop" started=$SECONDS
  tool=$(dotnet_trace)
  rm -f "$tmp" "$stop"
  "$tool" collect --providers "$PROVIDERS" -o "$tmp" -- dotnet "$BUSY" --seconds "$MAX_SECONDS" --stop-file "$stop" \
    </dev/null >"$OUT/$name.record.log" 2>&1 &
  local pid=$!
  while kill -0 "$pid" 2>/dev/null; do
    if [ -f "$tmp" ] && [ "$(size_mb "$tmp")" -ge "$target_mb" ] && [ ! -f "$stop" ]; then touch "$stop"; fi
    sleep 1
  done
  wait "$pid" || { echo "dotnet-trace failed, see $OUT/$name.record.log"; exit 1; }
  rm -f "$stop"
  mv "$tmp" "$file"
  echo "   $name: recorded $file ($(size_mb "$file") MB in $((SECONDS - started)) s)"
}

echo "== traces"
record large "$LARGE_MB"
record small "$SMALL_MB"

RESULTS="$OUT/results-$(date -u +%Y%m%dT%H%M%SZ).jsonl"
# run TRACE_NAME MODE: one process, one JSON line, tagged with the trace it read.
run() {
  local line
  line=$("$BENCH" "$2" "$OUT/$1.nettrace")
  echo "{\"trace\":\"$1\",${line#\{}" | tee -a "$RESULTS" | sed 's/^/   /'
}

echo "== runs (bare and analyze alternately; results in $RESULTS)"
for name in small large; do cat "$OUT/$name.nettrace" >/dev/null; done # both in the page cache before the first timing
for ((i = 0; i < N_SMALL; i++)); do run small bare; run small analyze; done
for ((i = 0; i < N; i++)); do run large bare; run large analyze; done

# field TRACE MODE KEY: the values of KEY on the lines of TRACE/MODE.
field() { grep "\"trace\":\"$1\",\"mode\":\"$2\"" "$RESULTS" | sed -E "s/.*\"$3\":([0-9]+).*/\1/"; }
median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
max() { sort -n | tail -1; }

bare_ms=$(field large bare ms | median)
analyze_ms=$(field large analyze ms | median)
bare_cpu=$(field large bare cpuMs | median)
analyze_cpu=$(field large analyze cpuMs | median)
events_large=$(field large bare events | max)
events_small=$(field small bare events | max)
for t in small large; do for m in bare analyze; do eval "rss_${t}_${m}=\$(field $t $m peakRssMB | max)"; done; done
# Peak RSS is the maximum over runs (the worst a user sees); times are medians (noise cancels).

echo
echo "== results ($(date -u +%Y-%m-%d), $(nproc) cores, $(dotnet --version) SDK)"
awk -v b="$bare_ms" -v a="$analyze_ms" -v bc="$bare_cpu" -v ac="$analyze_cpu" -v el="$events_large" -v es="$events_small" \
    -v sl="$(stat -c %s "$OUT/large.nettrace")" -v ss="$(stat -c %s "$OUT/small.nettrace")" \
    -v rsb="$rss_small_bare" -v rsa="$rss_small_analyze" -v rlb="$rss_large_bare" -v rla="$rss_large_analyze" \
    -v n="$N" 'BEGIN {
  printf "traces:   large %.0f MB, %d events   small %.0f MB, %d events (%.1fx fewer)\n", sl / 1048576, el, ss / 1048576, es, el / es
  printf "time:     median of %d on large: bare %d ms, analyze %d ms  (%.2f M events/s analyzed)\n", n, b, a, el / a / 1000
  ratio = a / b
  printf "RATIO analyze/bare: %.2f  (target <= 1.5: %s)\n", ratio, ratio <= 1.5 ? "met" : "NOT MET"
  printf "          by CPU time: %.2f  (bare %d ms, analyze %d ms of process CPU, medians)\n", ac / bc, bc, ac
  printf "peak RSS: bare    small %d MB, large %d MB\n", rsb, rlb
  printf "          analyze small %d MB, large %d MB  (analyze - bare: small %d MB, large %d MB)\n", rsa, rla, rsa - rsb, rla - rlb
  growth = (rla - rlb) - (rsa - rsb)
  printf "MEMORY: analyze above bare grows by %d MB for %.1fx the events (%s)\n", growth, el / es, growth <= 16 ? "flat" : "GROWS"
}'
