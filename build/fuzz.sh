#!/usr/bin/env bash
# The long fuzz run of analyze (docs/fuzzing.md): builds the harness, runs it at low priority, and writes the summary
# (inputs per kind, crashes, hangs, memory, p99 time) to artifacts/fuzz/summary.md. Failing inputs are saved under
# artifacts/fuzz/failures/ (git-ignored); turn each into a regression test (tests/TraceThreads.Tests/fuzz-cases/README.md).
#   build/fuzz.sh [inputs=10000] [seed=1] [extra harness arguments...]
set -euo pipefail
cd "$(dirname "$0")/.."
inputs=${1:-10000}
seed=${2:-1}
shift $(( $# > 2 ? 2 : $# ))
out=artifacts/fuzz
mkdir -p "$out"
dotnet build tests/TraceThreads.Fuzz -c Release -v quiet -nologo >/dev/null
exec nice -n 19 dotnet tests/TraceThreads.Fuzz/bin/Release/net10.0/trace-threads-fuzz.dll \
  --inputs "$inputs" --seed "$seed" --time-limit-s 60 --memory-limit-mb 1024 \
  --save "$out/failures" --summary "$out/summary.md" "$@"
# (--max-minutes M stops early on a busy machine; the summary then gives the count actually run.)
