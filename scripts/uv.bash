# Sourced by scripts/setup, scripts/test and scripts/wheels: uv (installed with pip if the machine
# has none) and cargo where rustup puts it.

uv() {  # uv on PATH, else the one pip installed (a fresh pyenv may not have its shim yet)
  if type -P uv >/dev/null; then command uv "$@"; else python3 -m uv "$@"; fi
}

if ! type -P uv >/dev/null && ! python3 -m uv --version >/dev/null 2>&1; then
  python3 -m pip install --quiet --disable-pip-version-check uv
fi
# the policy engine's binding (native/dockyard_rego) is compiled from the crate registry: Rust
if ! command -v cargo >/dev/null 2>&1 && [[ -x "$HOME/.cargo/bin/cargo" ]]; then
  export PATH="$HOME/.cargo/bin:$PATH"
fi
