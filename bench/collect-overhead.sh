#!/usr/bin/env bash
# What `trace-threads collect` costs the traced app, and what each of its parts costs.
#
# 1. The thread-creation recorder (the LD_PRELOAD hook), alone: bench/hook-cost.c creates and joins empty threads,
#    plain and hooked in alternating rounds; the extra time per creation is the median over pairs of rounds.
# 2. Each load below, untraced and under each configuration, interleaved in one run (a random order within each
#    repetition), REPS times. Every configuration's throughput is divided by the untraced run's and by dotnet-trace's
#    *of the same repetition*; the median of those ratios is the figure, min and max beside it show the noise.
#    - busy:     bench/BusyApp overhead: every core busy (CPU and allocation), a new thread every 10 ms, pool bursts;
#    - idle5000: the same plus 5,000 parked threads that wake once a second: where per-thread costs show.
#    Configurations: untraced; dotnet-trace with the providers of trace-threads' default profile; trace-threads
#    collect with its defaults; with --no-census; with --no-pthread-hook; (optionally) with --samples.
#
# Usage: bench/collect-overhead.sh [REPS=9] [SECONDS=5]
#   LOADS="busy idle5000"  CONFIGS="untraced dotnet-trace defaults no-census no-hook" (add "samples" for --samples)
#   HOOK_ROUNDS=15 HOOK_N=5000 (0 rounds skips the hook benchmark)   TT_DIR=<a built trace-threads> (skips its build)
#   OUT=<folder> (bench/out)   DOTNET_TRACE=<path> (else PATH, ~/.dotnet/tools, or installed into $OUT/tools)
#   REPORT_ONLY=1: print the tables again from the results already in $OUT (nothing is run)
#   ALT_DIR=<another built trace-threads>: add "alt" to CONFIGS to compare it, with its defaults, in the same repetitions
set -euo pipefail

REPS=${1:-9}
SECONDS_PER_RUN=${2:-5}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=${OUT:-$ROOT/bench/out}
LOADS=${LOADS-busy idle5000}   # LOADS="" runs the hook benchmarks alone
CONFIGS=(${CONFIGS:-untraced dotnet-trace defaults no-census no-hook})
HOOK_ROUNDS=${HOOK_ROUNDS:-15}
HOOK_N=${HOOK_N:-5000}
mkdir -p "$OUT"
RUN_REPS=$REPS RUN_HOOK=$HOOK_ROUNDS DT=
[ -n "${REPORT_ONLY:-}" ] && RUN_REPS=0 RUN_HOOK=0
if [ -z "${REPORT_ONLY:-}" ]; then
rm -f "$OUT"/*.res "$OUT"/*.cpu "$OUT"/*.cpuapp "$OUT"/*.nettrace "$OUT"/*.jsonl "$OUT"/*.pthreads "$OUT"/hook-*.txt

echo "building BusyApp and trace-threads (Release)..." >&2
dotnet build -c Release "$ROOT/bench/BusyApp" -o "$OUT/busy" -nologo -v quiet >&2
if [ -z "${TT_DIR:-}" ]; then
  dotnet build -c Release "$ROOT/src/TraceThreads" -o "$OUT/tt" -nologo -v quiet >&2
  TT_DIR=$OUT/tt
fi

DT=${DOTNET_TRACE:-$(command -v dotnet-trace || true)}
[ -z "$DT" ] && [ -x "$HOME/.dotnet/tools/dotnet-trace" ] && DT=$HOME/.dotnet/tools/dotnet-trace
[ -z "$DT" ] && [ -x "$OUT/tools/dotnet-trace" ] && DT=$OUT/tools/dotnet-trace
if [ -z "$DT" ]; then
  echo "installing dotnet-trace into $OUT/tools..." >&2
  dotnet tool install --tool-path "$OUT/tools" dotnet-trace >&2
  DT=$OUT/tools/dotnet-trace
fi

fi

echo "machine: $(nproc) cores, $(uname -sr), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), load average at start $(cut -d' ' -f1-3 /proc/loadavg)"
[ -n "${REPORT_ONLY:-}" ] || echo "dotnet $(dotnet --version), dotnet-trace $("$DT" --version 2>/dev/null | head -1), trace-threads from $TT_DIR"

# ---- 1. the hook's cost per thread creation ----
PRELOAD=${TT_DIR:-}/libtrace-threads-preload.so
HOOK=
if [ -n "${REPORT_ONLY:-}" ]; then
  [ -f "$OUT/hook-plain.txt" ] && HOOK=1
elif [ "$HOOK_ROUNDS" -gt 0 ] && [ -f "$PRELOAD" ] && command -v gcc >/dev/null; then
  HOOK=1
  gcc -O2 -pthread -o "$OUT/hook-cost" "$ROOT/bench/hook-cost.c"
  gcc -O2 -pthread -o "$OUT/hook-work" "$ROOT/bench/hook-work.c" -ldl
fi
if [ -n "$HOOK" ]; then
  for ((r = 1; r <= RUN_HOOK; r++)); do
    # plain, hooked, plain C11, hooked C11: each hooked round sits between the plain ones it is compared with.
    "$OUT/hook-cost" "$HOOK_N" 1 >>"$OUT/hook-plain.txt"
    LD_PRELOAD=$PRELOAD TRACE_THREADS_PTHREAD_LOG=$OUT/hook.pthreads "$OUT/hook-cost" "$HOOK_N" 1 >>"$OUT/hook-hooked.txt"
    "$OUT/hook-cost" "$HOOK_N" 1 thrd >>"$OUT/hook-plain-thrd.txt"
    LD_PRELOAD=$PRELOAD TRACE_THREADS_PTHREAD_LOG=$OUT/hook.pthreads "$OUT/hook-cost" "$HOOK_N" 1 thrd >>"$OUT/hook-hooked-thrd.txt"
    LD_PRELOAD=$PRELOAD "$OUT/hook-cost" "$HOOK_N" 1 >>"$OUT/hook-nolog.txt"
    rm -f "$OUT/hook.pthreads"
  done
  TRACE_THREADS_PTHREAD_LOG=$OUT/hook.pthreads "$OUT/hook-work" "$HOOK_N" "$RUN_HOOK" >>"$OUT/hook-work.txt"
  rm -f "$OUT/hook.pthreads"
  # Instructions per create + join, counted by callgrind (user space only, the same count on a busy or a quiet
  # machine): two runs of different lengths, so that start-up cancels out of the difference.
  if [ -z "${REPORT_ONLY:-}" ] && command -v valgrind >/dev/null; then
    count() { valgrind --tool=callgrind --callgrind-out-file=/dev/null "$@" 2>&1 | sed -n 's/.*Collected : //p'; }
    a=$(count "$OUT/hook-cost" 1000 1); b=$(count "$OUT/hook-cost" 3000 1)
    echo "plain $(( (b - a) / 2000 ))" >>"$OUT/hook-instructions.txt"
    a=$(LD_PRELOAD=$PRELOAD TRACE_THREADS_PTHREAD_LOG=$OUT/hook.pthreads count "$OUT/hook-cost" 1000 1); rm -f "$OUT/hook.pthreads"
    b=$(LD_PRELOAD=$PRELOAD TRACE_THREADS_PTHREAD_LOG=$OUT/hook.pthreads count "$OUT/hook-cost" 3000 1); rm -f "$OUT/hook.pthreads"
    echo "hooked $(( (b - a) / 2000 ))" >>"$OUT/hook-instructions.txt"
  fi
  python3 - "$OUT" "$HOOK_N" "$HOOK_ROUNDS" <<'PY'
import statistics, sys
out, n, rounds = sys.argv[1], sys.argv[2], sys.argv[3]
# Each line: wall ns and CPU ns per creation (older results: wall only). CPU time is the figure: the work the hook adds.
read = lambda name: [float(l.split()[-1]) for l in open(f"{out}/hook-{name}.txt") if l.strip()]
plain, plain_c11 = read("plain"), read("plain-thrd")
def show(label, hooked, base):
    d = [h - p for h, p in zip(hooked, base)]
    print(f"  {label:<44}{statistics.median(hooked)/1000:>8.1f} us{statistics.median(d)/1000:>+9.2f} us  [{min(d)/1000:+.2f} .. {max(d)/1000:+.2f}]")
print(f"\nthread creation (create + join of an empty thread), {rounds} rounds of {n}; process CPU time per creation (wall time")
print("on older results), median; extra vs the plain round before it, median [min .. max of paired rounds]:")
print(f"  {'plain pthread_create':<44}{statistics.median(plain)/1000:>8.1f} us")
show("hooked pthread_create (one record each)", read("hooked"), plain)
show("hooked, no log (LD_PRELOAD only)", read("nolog"), plain)
print(f"  {'plain thrd_create':<44}{statistics.median(plain_c11)/1000:>8.1f} us")
show("hooked thrd_create (one record each)", read("hooked-thrd"), plain_c11)
try:
    work = [[float(x) for x in l.split()] for l in open(f"{out}/hook-work.txt") if l.strip()]
except OSError:
    work = []
try:
    ins = dict(l.split() for l in open(f"{out}/hook-instructions.txt") if l.strip())
    print(f"instructions per create + join (callgrind, user space, independent of the machine's load): plain {ins['plain']}, hooked {ins['hooked']}: {int(ins['hooked']) - int(ins['plain']):+d}")
except (OSError, KeyError, ValueError):
    pass
if work:
    col = lambda i: statistics.median(w[i] for w in work) / 1000
    print(f"the hook's own work per creation, without the kernel's (bench/hook-work.c, thread CPU time, median of {len(work)} rounds):")
    if len(work[0]) >= 4:
        # backtrace(3), the cached unwinder, the creating thread's half, both halves.
        print(f"  {col(3):.2f} us for both halves (the creating thread's and the new thread's), of which reading the stack {col(1):.2f} us")
        print(f"  (backtrace(3) would take {col(0):.2f} us); the creating thread's half alone, run as a failed creation: {col(2):.2f} us")
    else:
        print(f"  prepare + record {col(2):.2f} us = backtrace(3) {col(0):.2f} us + the rest {col(2) - col(0):.2f} us (record {col(2) - col(1):.2f} us)")
PY
fi

# ---- 2. the loads ----
# Runs a command and records the CPU seconds of that process alone (not its children): in $1.cpu until it exits (the
# whole run: trace repair, sidecars and printing after the app ended included), and in $1.cpuapp at the moment the app
# appends its result line to $2 (what the app competed with while it ran). /proc/<pid>/stat is sampled every 20 ms.
own_cpu() {
  local name=$1 res=$2; shift 2
  python3 - "$OUT/$name.cpu" "$res" "$@" <<'PY'
import os, subprocess, sys, time
out, res, cmd = sys.argv[1], sys.argv[2], sys.argv[3:]
tick = os.sysconf("SC_CLK_TCK")
def results():
    try:
        with open(res) as f:
            return sum(1 for _ in f)
    except OSError:
        return 0
before = results()
p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
last, while_app = 0, None
while p.poll() is None:
    try:
        with open(f"/proc/{p.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        last = (int(fields[11]) + int(fields[12])) / tick
    except (OSError, IndexError):
        pass
    if while_app is None and results() > before:
        while_app = last
    time.sleep(0.02)
with open(out, "a") as f:
    f.write(f"{last:.2f}\n")
with open(out + "app", "a") as f:
    f.write(f"{while_app if while_app is not None else last:.2f}\n")
sys.exit(p.returncode)
PY
}

PROVIDERS="Microsoft-Windows-DotNETRuntime:0x80010018:4"   # trace-threads' default profile, spelled for dotnet-trace
TT=(dotnet "${TT_DIR:-}/trace-threads.dll" collect)

run() {
  local load=$1 name=$2 res="$OUT/$1-$2.res" trace="$OUT/$1-$2.nettrace"
  local app=(dotnet "$OUT/busy/BusyApp.dll" overhead "$SECONDS_PER_RUN" "$res")
  [ "$load" = idle5000 ] && app+=(--idle 5000)
  case $name in
    untraced) "${app[@]}" ;;
    dotnet-trace) own_cpu "$load-$name" "$res" "$DT" collect --providers "$PROVIDERS" -o "$trace" -- "${app[@]}" ;;
    defaults) own_cpu "$load-$name" "$res" "${TT[@]}" -o "$trace" -- "${app[@]}" ;;
    no-census) own_cpu "$load-$name" "$res" "${TT[@]}" --no-census -o "$trace" -- "${app[@]}" ;;
    no-hook) own_cpu "$load-$name" "$res" "${TT[@]}" --no-pthread-hook -o "$trace" -- "${app[@]}" ;;
    samples) own_cpu "$load-$name" "$res" "${TT[@]}" --samples -o "$trace" -- "${app[@]}" ;;
    alt) own_cpu "$load-$name" "$res" dotnet "$ALT_DIR/trace-threads.dll" collect -o "$trace" -- "${app[@]}" ;;
    *) echo "unknown configuration $name" >&2; return 2 ;;
  esac
}

for load in $LOADS; do
  for ((rep = 1; rep <= RUN_REPS; rep++)); do
    # A different order each repetition, so a slow spell of the machine does not always hit the same configuration.
    mapfile -t order < <(printf '%s\n' "${CONFIGS[@]}" | shuf)
    for name in "${order[@]}"; do
      printf '%s rep %d/%d: %s\n' "$load" "$rep" "$REPS" "$name" >&2
      # A failed run leaves a hole, not a shifted pairing: every configuration gets a line per repetition.
      run "$load" "$name" || { echo "  ($name exited with $?)" >&2; }
      res="$OUT/$load-$name.res"
      [ "$(wc -l <"$res" 2>/dev/null || echo 0)" -ge "$rep" ] || echo "failed" >>"$res"
    done
  done

  python3 - "$OUT" "$load" "$SECONDS_PER_RUN" "$REPS" "${CONFIGS[@]}" <<'PY'
import os, statistics, sys
out, load, seconds, reps, configs = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5:]
def results(c):
    path = f"{out}/{load}-{c}.res"
    if not os.path.exists(path):
        return []
    return [dict((k, float(v)) for k, v in (f.split("=") for f in l.split())) if "=" in l else None for l in open(path) if l.strip()]
def lines(path):
    return [float(l) for l in open(path) if l.strip()] if os.path.exists(path) else []
def ratios(c, against, key="opsPerSec"):
    r, a = results(c), results(against)
    return [x[key] / y[key] for x, y in zip(r, a) if x and y]
def cell(v):
    return f"{statistics.median(v):6.1%} [{min(v):6.1%} .. {max(v):6.1%}]" if v else f"{'-':>26}"
print(f"\nload {load}: {reps} repetitions of {seconds} s (+1 s warm-up){' with 5,000 idle threads' if load == 'idle5000' else ''}")
print(f"{'configuration':<14}{'ops/s':>11}  {'vs untraced  median [min .. max]':<32}{'vs dotnet-trace  median [min .. max]':<38}{'ops/CPU-s vs untraced, dotnet-trace':>36}{'collector CPU: app ran, whole':>31}{'trace':>9}")
for c in configs:
    r = [x for x in results(c) if x]
    if not r:
        print(f"{c:<14}{'(no result)':>11}")
        continue
    ops = statistics.median(x["opsPerSec"] for x in r)
    eff = ratios(c, "untraced", "opsPerCpuSec")
    eff_dt = ratios(c, "dotnet-trace", "opsPerCpuSec")
    cpu = lines(f"{out}/{load}-{c}.cpu")
    cpu_app = lines(f"{out}/{load}-{c}.cpuapp")
    trace = f"{out}/{load}-{c}.nettrace"
    size = os.path.getsize(trace) / 1048576 if os.path.exists(trace) else None
    print(f"{c:<14}{ops:>11,.0f}  {cell(ratios(c, 'untraced')):<32}{cell(ratios(c, 'dotnet-trace')):<38}"
          f"{(f'{statistics.median(eff):.1%}' if eff else '-'):>26}{(f'{statistics.median(eff_dt):.1%}' if eff_dt else '-'):>10}{(f'{statistics.median(cpu_app):.2f} s' if cpu_app else '-'):>16}{(f'{statistics.median(cpu):.2f} s' if cpu else '-'):>15}{(f'{size:.1f} MB' if size else '-'):>9}")
print("ratios: within each repetition, then the median (min and max show the spread); collector CPU: the collecting")
print("process alone (census, stream copy, startup), not the app, medians: until the app wrote its result (what the app")
print(f"competed with) and until the collector exited. load average now: {' '.join(open('/proc/loadavg').read().split()[0:3])}")
PY
done
