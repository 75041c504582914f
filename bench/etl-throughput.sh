#!/usr/bin/env bash
# ETL reader throughput beside the nettrace path's, in the same run: `trace-threads analyze` (whole pipeline, one
# process per run, JSON to /dev/null) on the largest shared .etl (net.4.5.2.x64, 4.7 MB unzipped) and on the shared
# .nettrace of similar size (eventpipe-dotnetcore3.0-win-x64-objver4, 4.8 MB), alternately, N runs each; prints median MB/s of each and their ratio. Absolute times on a shared
# machine mean little; the ratio is the figure. Includes process start-up for both (same for both).
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-7}
ETL_ZIP=${ETL_ZIP:-../shared/traces/external/etl/net.4.5.2.x64.etl.zip}
NT_ZIP=${NT_ZIP:-../shared/traces/external/nettrace/eventpipe-dotnetcore3.0-win-x64-objver4.nettrace.zip}
OUT=${TMPDIR:-/tmp}/tt-etl-bench
mkdir -p "$OUT"
[ -f "$OUT/net.4.5.2.x64.etl" ] || unzip -o -q "$ETL_ZIP" -d "$OUT"
ETL="$OUT/net.4.5.2.x64.etl"
[ -n "${NETTRACE:-}" ] || { unzip -o -q "$NT_ZIP" -d "$OUT/nt"; NETTRACE=$(ls "$OUT"/nt/*.nettrace | head -1); }  # 4.8 MB, like the .etl
dotnet build src/TraceThreads -c Release -nologo -v q >/dev/null
TT="dotnet src/TraceThreads/bin/Release/net10.0/trace-threads.dll"

run() { local s e; s=$(date +%s%N); $TT analyze "$@" --format json > /dev/null || [ $? -eq 6 ]; e=$(date +%s%N); echo $(( (e - s) / 1000000 )); }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

: > "$OUT/etl.ms"; : > "$OUT/nettrace.ms"
for i in $(seq "$N"); do
  run "$ETL" -p 3988 >> "$OUT/etl.ms"
  run "$NETTRACE" --no-census >> "$OUT/nettrace.ms"
done
etl_mb=$(awk "BEGIN {print $(stat -c %s "$ETL") / 1048576}")
nt_mb=$(awk "BEGIN {print $(stat -c %s "$NETTRACE") / 1048576}")
etl_ms=$(median < "$OUT/etl.ms"); nt_ms=$(median < "$OUT/nettrace.ms")
awk -v em="$etl_mb" -v et="$etl_ms" -v nm="$nt_mb" -v nt="$nt_ms" 'BEGIN {
  e = em / (et / 1000); n = nm / (nt / 1000);
  printf "etl      %6.1f MB  median %6d ms  %6.1f MB/s\n", em, et, e;
  printf "nettrace %6.1f MB  median %6d ms  %6.1f MB/s\n", nm, nt, n;
  printf "etl/nettrace MB/s ratio: %.2f (>= 1 means the ETL reader is no slower per MB)\n", e / n }'
