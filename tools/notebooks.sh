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
KERNELS_DIR=${JUPYTER_DATA_DIR:-$HOME/.local/share/jupyter}/kernels
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

# A kernel spec NAME in KERNELS_DIR that starts evcxr with the settings in CONFIG_DIR.
# (A kernel spec's "env" wins over the environment Jupyter starts it from.)
register_kernel() { # KERNELS_DIR NAME DISPLAY_NAME CONFIG_DIR
    mkdir -p "$1/$2"
    cat > "$1/$2/kernel.json" <<JSON
{
  "argv": ["$(command -v evcxr_jupyter)", "--control_file", "{connection_file}"],
  "display_name": "$3",
  "language": "rust",
  "interrupt_mode": "message",
  "env": {"EVCXR_CONFIG_DIR": "$4"}
}
JSON
    echo "kernel registered: $1/$2/kernel.json"
}

case "${1:-}" in
setup)
    need_evcxr
    need_python jupyterlab nbclient
    register_kernel "$KERNELS_DIR" ferrograd "Rust (ferrograd)" "$ROOT/notebooks/evcxr"
    echo "ready: bash tools/notebooks.sh open"
    ;;
open)
    exec "$VENV/bin/jupyter" lab notebooks
    ;;
test)
    need_evcxr
    need_python nbclient nbformat jupyter_client ipykernel
    # CI's settings: the learner's evcxr.toml plus the panic-ends-the-kernel prelude, in
    # a kernel of this checkout's own (target/jupyter), so the learner's kernel and other
    # checkouts are left alone.
    config=$ROOT/target/evcxr-ci-config
    mkdir -p "$config"
    cp notebooks/evcxr/evcxr.toml .ci/evcxr/prelude.rs "$config/"
    register_kernel "$ROOT/target/jupyter/kernels" ferrograd-ci "Rust (ferrograd, CI)" \
        "$config" >/dev/null
    folder=notebooks
    if [ -n "${2:-}" ]; then # one notebook: a folder beside notebooks/ so `path = ".."` holds
        folder=nb-one
        rm -rf nb-one && mkdir nb-one && cp "$2" nb-one/
        trap 'rm -rf "$ROOT/nb-one"' EXIT
    fi
    JUPYTER_PATH="$ROOT/target/jupyter" NB_KERNEL=ferrograd-ci NB_PYTHON="$VENV/bin/python" \
        bash tools/run-notebooks.sh "$folder"
    "$VENV/bin/python" tools/check_notebook_plots.py target/notebooks-out
    ;;
*)
    sed -n '2,13p' "$0"
    exit 2
    ;;
esac
