#!/usr/bin/env bash
# Regenerates benchmarks/RESULTS.md in one command: builds, runs every benchmark with its measuring
# settings, then writes the report from the JSON results in benchmarks/target/bench/.
#
#   benchmarks/run.sh            the measurement (roughly 40-60 minutes on 2 idle cores; run it on an idle machine)
#   benchmarks/run.sh --quick    smoke settings (minutes): proves everything runs, measures nothing
#
# Environment: as benchmarks/bench (MVN, SKIP_BUILD=1, THREADS, JAVA_OPTS); PYTHON (default /usr/bin/python3).
# The PyTorch peer uses Debian's python3-torch (PyTorch 1.13, CPU) with OpenBLAS (libopenblas0-pthread);
# both are installed here if missing.
set -euo pipefail
cd "$(dirname "$0")/.."
QUICK=false
[[ "${1:-}" == "--quick" ]] && QUICK=true
OUT=benchmarks/target/bench
PYTHON=${PYTHON:-/usr/bin/python3}
B=benchmarks/bench

if [[ "${SKIP_BUILD:-0}" != 1 ]]; then
  MVN=${MVN:-mvn -B -q}
  $MVN install -DskipTests
  $MVN -pl benchmarks dependency:build-classpath -Dmdep.outputFile=target/bench.classpath -Dmdep.includeScope=runtime
fi
export SKIP_BUILD=1

# Debian's PyTorch calls whatever libblas.so.3 points to; with only the reference BLAS installed its
# matrix products are ~30x slower than OpenBLAS's, which would make the comparison meaningless.
PKGS=()
"$PYTHON" -c 'import torch' 2>/dev/null || PKGS+=(python3-torch)
if command -v dpkg >/dev/null && [[ "$PYTHON" == /usr/bin/* ]] && ! dpkg -s libopenblas0-pthread >/dev/null 2>&1; then
  PKGS+=(libopenblas0-pthread)
fi
if (( ${#PKGS[@]} )); then
  echo "== installing ${PKGS[*]} for the PyTorch peer"
  if [[ $(id -u) == 0 ]]; then apt-get install -y "${PKGS[@]}"; else sudo apt-get install -y "${PKGS[@]}"; fi
fi

rm -rf "$OUT"
mkdir -p "$OUT"
echo "== started $(date -Is), load $(cut -d' ' -f1 /proc/loadavg) on $(nproc) CPUs"

if $QUICK; then
  JMH=(-f 0 -wi 0 -i 1 -r 1 -w 1 -foe true)
  $B micro GroupStatisticsBenchmark "${JMH[@]}" -rf json -rff "$OUT/micro-group-statistics.json"
  $B micro AttentionBenchmark -p tokens=256 "${JMH[@]}" -rf json -rff "$OUT/micro-attention.json"
  $B micro 'SdeStepBenchmark|MmditBenchmark|LoraUpdateBenchmark' -p model=shapes "${JMH[@]}" -rf json -rff "$OUT/micro-models.json"
  $B attention-memory --tokens 256 --batch 1 --out "$OUT/attention-memory.json"
  $B e2e --model shapes --epochs 3 --prompts 2 --group 4 --out "$OUT/e2e-shapes.json"
  MALLOC_ARENA_MAX=2 MALLOC_MMAP_THRESHOLD_=1048576 MALLOC_TRIM_THRESHOLD_=4194304 \
    $B e2e --model shapes --epochs 3 --prompts 2 --group 4 --profile false --out "$OUT/e2e-shapes-tuned-malloc.json"
  $B e2e --model sd35m --layers 1 --latent 16 --epochs 2 --prompts 1 --group 2 --out "$OUT/e2e-sd35m.json"
  $B peer --model shapes --rounds 2 --reps 1 --python "$PYTHON" --out "$OUT/peer.json"
  $B report --quick true
  exit 0
fi

# JMH: the settings in each benchmark's annotations (1 fork, 3 warm-up + 5 measured iterations).
$B micro GroupStatisticsBenchmark -p embeddingDim=88,1024 -rf json -rff "$OUT/micro-group-statistics.json"
$B micro AttentionBenchmark -rf json -rff "$OUT/micro-attention.json"
$B micro SdeStepBenchmark -p model=shapes,sd35m-2L -rf json -rff "$OUT/micro-sde-step.json"
$B micro MmditBenchmark -p model=shapes,sd35m-2L -rf json -rff "$OUT/micro-mmdit.json"
$B micro LoraUpdateBenchmark -p model=shapes,sd35m-2L -rf json -rff "$OUT/micro-lora-update.json"
$B attention-memory --tokens 256,1024,1357 --batch 4 --out "$OUT/attention-memory.json"
$B e2e --model shapes --epochs 50 --out "$OUT/e2e-shapes.json"
# The same loop with glibc's allocator tuned (ResultsReport.TUNED_MALLOC): with the defaults the resident set
# grows although every array is freed; this run shows what the allocator, not the library, holds.
MALLOC_ARENA_MAX=2 MALLOC_MMAP_THRESHOLD_=1048576 MALLOC_TRIM_THRESHOLD_=4194304 \
  $B e2e --model shapes --epochs 50 --profile false --out "$OUT/e2e-shapes-tuned-malloc.json"
$B e2e --model sd35m --layers 2 --epochs 3 --prompts 2 --group 2 --out "$OUT/e2e-sd35m.json"
$B peer --model sd35m --layers 2 --rounds 5 --reps 3 --python "$PYTHON" --out "$OUT/peer.json"
$B report
echo "== finished $(date -Is)"
