#!/usr/bin/env bash
# What `trace-threads collect` costs the traced app: throughput of bench/busy-app (every core busy with CPU and
# allocation, a new thread every 10 ms, thread-pool bursts) untraced, under `trace-threads collect` (defaults, and
# with --samples) and under `dotnet-trace collect` with the default's providers, interleaved in one run, REPS times,
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
# The providers of trace-threads' default profile, spelled for dotnet-trace (which then adds nothing of its own).
PROVIDERS="Microsoft-Windows-DotNETRuntime:0x80010018:4"

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
    trace-threads-samples) own_cpu "$name" dotnet "$OUT/tt/trace-threads.dll" collect --samples -o "$OUT/$name.nettrace" -- "${BUSY[@]}" "$OUT/$name.res" ;;
    dotnet-trace) own_cpu "$name" "$DT" collect --providers "$PROVIDERS" -o "$OUT/$name.nettrace" -- "${BUSY[@]}" "$OUT/$name.res" ;;
  esac
}

CONFIGS=(untraced trace-threads dotnet-trace trace-threads-samples)
for ((rep = 1; rep <= REPS; rep++)); do
  # A different order each repetition, so a slow spell of the machine does not always hit the same configuration.
  mapfile -t order < <(printf '%s\n' "${CONFIGS[@]}" | shuf)
  for name in "${order[@]}"; do
    printf 'rep %d/%d: %s\n' "$rep" "$REPS" "$name" >&2
    run "$name" || echo "  ($name exited with $?)" >&2
  done
done

python3 - "$OUT" "$SECONDS_PER_RUN" "$REPS" "${CONFIGS[@]}" <<'PY'
import os, statistics, sys
out, seconds, reps, configs = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4:]
def results(c):
    path = f"{out}/{c}.res"
    return [dict((k, float(v)) for k, v in (f.split("=") for f in l.split())) for l in open(path) if l.strip()] if os.path.exists(path) else []
def lines(path):
    return [float(l) for l in open(path) if l.strip()] if os.path.exists(path) else []
base = results("untraced")
def paired(c, key, against=base):
    # Repetition i of every configuration ran within the same minute: compare within a repetition, then take the
    # median, so slow spells of the machine cancel out.
    r = results(c)
    n = min(len(r), len(against))
    return statistics.median(r[i][key] / against[i][key] for i in range(n)) if n else float("nan")
dt = results("dotnet-trace")
print(f"{'configuration':<23}{'ops/s':>11}{'vs untraced':>13}{'ops/CPU-s':>11}{'vs untraced':>13}{'vs dotnet-trace':>17}{'collector CPU':>15}{'trace':>9}")
for c in configs:
    r = results(c)
    if not r:
        print(f"{c:<23}{'(no result)':>11}")
        continue
    ops = statistics.median(x["opsPerSec"] for x in r)
    eff = statistics.median(x["opsPerCpuSec"] for x in r)
    cpu = lines(f"{out}/{c}.cpu")
    size = os.path.getsize(f"{out}/{c}.nettrace") / 1048576 if os.path.exists(f"{out}/{c}.nettrace") else None
    vs_dt = f"{paired(c, 'opsPerSec', dt):.1%}" if dt else "-"
    print(f"{c:<23}{ops:>11,.0f}{paired(c, 'opsPerSec'):>13.1%}{eff:>11,.0f}{paired(c, 'opsPerCpuSec'):>13.1%}{vs_dt:>17}"
          f"{(f'{statistics.median(cpu):.2f} s' if cpu else '-'):>15}{(f'{size:.1f} MB' if size else '-'):>9}")
print(f"\n{reps} repetitions of {seconds} s (+1 s warm-up) each, configurations in a random order within each repetition.")
print("ops/s and ops/CPU-s: medians; 'vs' columns: median over repetitions of the ratio within a repetition.")
print("collector CPU: the collecting process alone (its census, stream copy, startup), not the traced app.")
print(f"load average now: {open('/proc/loadavg').read().split()[0:3]}")
PY
