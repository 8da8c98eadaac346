#!/usr/bin/env bash
# Set up, open and test the course notebooks (evcxr Rust kernel in Jupyter).
#
#   bash tools/notebooks.sh setup   # evcxr_jupyter (cargo), Jupyter (pip, in .venv-nb),
#                                   # and a kernel "Rust (ferrograd)" using notebooks/evcxr/
#   bash tools/notebooks.sh open    # Jupyter Lab in notebooks/
#   bash tools/notebooks.sh test    # execute every notebook headlessly, as CI does
#   bash tools/notebooks.sh test notebooks/03_mlp_activations.ipynb   # one notebook
#
# `test` runs each notebook with the same kernel settings plus a prelude that makes a
# panic fail the cell (.ci/evcxr/prelude.rs); executed copies, plots included, go to
# target/notebooks-out/. Nothing here needs root; everything lands in ~/.cargo/bin,
# ~/.local/share/jupyter and .venv-nb/.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
VENV=$ROOT/.venv-nb
KERNEL_DIR=${JUPYTER_DATA_DIR:-$HOME/.local/share/jupyter}/kernels/ferrograd
export PATH="$HOME/.cargo/bin:$PATH"

need_evcxr() {
    command -v evcxr_jupyter >/dev/null && return
    local prebuilt=../shared/tools/evcxr_jupyter-0.22.0-x86_64-linux-gnu.xz
    mkdir -p "$HOME/.cargo/bin"
    if [ -f "$prebuilt" ]; then
        xz -dc "$prebuilt" > "$HOME/.cargo/bin/evcxr_jupyter"
        chmod +x "$HOME/.cargo/bin/evcxr_jupyter"
    else
        echo "installing evcxr_jupyter 0.22.0 with cargo (about 30 minutes on 2 cores, once)"
        cargo install evcxr_jupyter --locked --version 0.22.0
    fi
}

need_python() { # need_python PACKAGE... : a venv in .venv-nb with these importable
    [ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
    "$VENV/bin/python" -c "import $(IFS=,; echo "$*")" 2>/dev/null \
        || "$VENV/bin/pip" install -q "$@"
}

# A kernel spec "ferrograd" that starts evcxr with the project's kernel settings.
register_kernel() {
    mkdir -p "$KERNEL_DIR"
    cat > "$KERNEL_DIR/kernel.json" <<JSON
{
  "argv": ["$(command -v evcxr_jupyter)", "--control_file", "{connection_file}"],
  "display_name": "Rust (ferrograd)",
  "language": "rust",
  "interrupt_mode": "message",
  "env": {"EVCXR_CONFIG_DIR": "$ROOT/notebooks/evcxr"}
}
JSON
    echo "kernel registered: $KERNEL_DIR/kernel.json"
}

case "${1:-}" in
setup)
    need_evcxr
    need_python jupyterlab nbclient
    register_kernel
    echo "ready: bash tools/notebooks.sh open"
    ;;
open)
    exec "$VENV/bin/jupyter" lab notebooks
    ;;
test)
    need_evcxr
    need_python nbclient nbformat jupyter_client ipykernel
    register_kernel >/dev/null
    # CI's settings: the learner's evcxr.toml plus the panic-ends-the-kernel prelude.
    config=$ROOT/target/evcxr-ci-config
    mkdir -p "$config"
    cp notebooks/evcxr/evcxr.toml .ci/evcxr/prelude.rs "$config/"
    folder=notebooks
    if [ -n "${2:-}" ]; then # one notebook: a folder beside notebooks/ so `path = ".."` holds
        folder=nb-one
        rm -rf nb-one && mkdir nb-one && cp "$2" nb-one/
        trap 'rm -rf "$ROOT/nb-one"' EXIT
    fi
    NB_KERNEL=ferrograd EVCXR_CONFIG_DIR="$config" NB_PYTHON="$VENV/bin/python" \
        bash tools/run-notebooks.sh "$folder"
    "$VENV/bin/python" tools/check_notebook_plots.py target/notebooks-out
    ;;
*)
    sed -n '2,13p' "$0"
    exit 2
    ;;
esac
