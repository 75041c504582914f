#!/usr/bin/env bash
# What `trace-threads collect` costs the traced app: throughput of bench/busy-app (every core busy with CPU and
# allocation, a new thread every 10 ms, thread-pool bursts) untraced, under `trace-threads collect` (default and
# --profile minimal) and under `dotnet-trace collect` with the same providers, interleaved in one run, REPS times,
# medians reported (this machine is noisy: other work shares its cores). Also the collector's own CPU and trace sizes.
#
# Usage: bench/collect-overhead.sh [REPS=7] [SECONDS=5]
#   DOTNET_TRACE=/path/to/dotnet-trace to use a given dotnet-trace; otherwise PATH, ~/.dotnet/tools, or it is
#   installed into bench/out/tools with `dotnet tool install`.
set -euo pipefail

REPS=${1:-7}
SECONDS_PER_RUN=${2:-5}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=$ROOT/bench/out
mkdir -p "$OUT"
rm -f "$OUT"/*.res "$OUT"/*.cpu "$OUT"/*.nettrace "$OUT"/*.jsonl

echo "building busy-app and trace-threads (Release)..." >&2
dotnet build -c Release "$ROOT/bench/busy-app" -o "$OUT/busy" -nologo -v quiet >&2
dotnet build -c Release "$ROOT/src/TraceThreads" -o "$OUT/tt" -nologo -v quiet >&2

DT=${DOTNET_TRACE:-$(command -v dotnet-trace || true)}
[ -z "$DT" ] && [ -x "$HOME/.dotnet/tools/dotnet-trace" ] && DT=$HOME/.dotnet/tools/dotnet-trace
if [ -z "$DT" ]; then
  echo "installing dotnet-trace into $OUT/tools..." >&2
  dotnet tool install --tool-path "$OUT/tools" dotnet-trace >&2
  DT=$OUT/tools/dotnet-trace
fi

BUSY=("dotnet" "$OUT/busy/busy-app.dll" "$SECONDS_PER_RUN")
# The providers of trace-threads' default profile, spelled for dotnet-trace.
PROVIDERS="Microsoft-Windows-DotNETRuntime:0x80010018:4,Microsoft-DotNETCore-SampleProfiler:0:4"

# Runs a command and records the CPU seconds of that process alone (not its children) in $1.cpu: the collector's
# own cost. /proc/<pid>/stat is sampled every 50 ms; the last sample before exit is kept.
own_cpu() {
  local name=$1; shift
  python3 - "$OUT/$name.cpu" "$@" <<'PY'
import os, subprocess, sys, time
out, cmd = sys.argv[1], sys.argv[2:]
tick = os.sysconf("SC_CLK_TCK")
p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
last = 0
while p.poll() is None:
    try:
        with open(f"/proc/{p.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        last = (int(fields[11]) + int(fields[12])) / tick
    except (OSError, IndexError):
        pass
    time.sleep(0.05)
with open(out, "a") as f:
    f.write(f"{last:.2f}\n")
sys.exit(p.returncode)
PY
}

run() {
  local name=$1
  case $name in
    untraced) "${BUSY[@]}" "$OUT/$name.res" ;;
    trace-threads) own_cpu "$name" dotnet "$OUT/tt/trace-threads.dll" collect -o "$OUT/$name.nettrace" -- "${BUSY[@]}" "$OUT/$name.res" ;;
    trace-threads-minimal) own_cpu "$name" dotnet "$OUT/tt/trace-threads.dll" collect --profile minimal -o "$OUT/$name.nettrace" -- "${BUSY[@]}" "$OUT/$name.res" ;;
    dotnet-trace) own_cpu "$name" "$DT" collect --providers "$PROVIDERS" -o "$OUT/$name.nettrace" -- "${BUSY[@]}" "$OUT/$name.res" ;;
  esac
}

CONFIGS=(untraced trace-threads trace-threads-minimal dotnet-trace)
for ((rep = 1; rep <= REPS; rep++)); do
  # A different order each repetition, so a slow spell of the machine does not always hit the same configuration.
  mapfile -t order < <(printf '%s\n' "${CONFIGS[@]}" | shuf)
  for name in "${order[@]}"; do
    printf 'rep %d/%d: %s\n' "$rep" "$REPS" "$name" >&2
    run "$name" || echo "  ($name exited with $?)" >&2
  done
done

python3 - "$OUT" "$SECONDS_PER_RUN" "${CONFIGS[@]}" <<'PY'
import os, statistics, sys
out, seconds, configs = sys.argv[1], sys.argv[2], sys.argv[3:]
def values(path, key=None):
    if not os.path.exists(path):
        return []
    vals = []
    for line in open(path):
        line = line.strip()
        if not line:
            continue
        if key:
            fields = dict(f.split("=") for f in line.split())
            vals.append(float(fields[key]))
        else:
            vals.append(float(line))
    return vals
base = statistics.median(values(f"{out}/untraced.res", "opsPerSec"))
print(f"{'configuration':<24}{'median ops/s':>14}{'vs untraced':>13}{'vs dotnet-trace':>17}{'collector CPU s':>17}{'trace MB':>10}  runs")
dt = values(f"{out}/dotnet-trace.res", "opsPerSec")
dt_median = statistics.median(dt) if dt else None
for c in configs:
    ops = values(f"{out}/{c}.res", "opsPerSec")
    if not ops:
        print(f"{c:<24}{'(no result)':>14}")
        continue
    m = statistics.median(ops)
    cpu = values(f"{out}/{c}.cpu")
    size = os.path.getsize(f"{out}/{c}.nettrace") / 1048576 if os.path.exists(f"{out}/{c}.nettrace") else None
    print(f"{c:<24}{m:>14,.0f}{m / base:>12.1%}{(f'{m / dt_median:.1%}' if dt_median else '-'):>17}"
          f"{(f'{statistics.median(cpu):.2f}' if cpu else '-'):>17}{(f'{size:.1f}' if size else '-'):>10}  {len(ops)}")
print(f"\n{len(values(f'{out}/untraced.res', 'opsPerSec'))} repetitions of {seconds} s; ratios are medians of throughput; trace MB is the last run's file.")
PY
