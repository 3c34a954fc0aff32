#!/usr/bin/env bash
# Create (idempotently) a throw-away virtualenv holding the REAL Python icloudpd 1.32.3, used by
# the cross-implementation tests in crates/icloudpd-cli/tests/cli/python.rs, and the aiosmtpd SMTP
# server used by crates/icloudpd-cli/tests/cli/notify.rs (tests/python/smtp_server.py).
#
# Usage: scripts/python-icloudpd.sh            # set up (if needed), print the venv's python on stdout
#        scripts/python-icloudpd.sh --force    # rebuild the venv from scratch
#
# Location: ${ICLOUDPD_PY_VENV:-${CARGO_TARGET_DIR:-<repo>/target}/py-icloudpd-1.32.3}
# Interpreter: ${ICLOUDPD_PYTHON:-first of python3, python3.13 .. python3.10 with 3.10 <= version < 3.14}
#
# Everything except the final interpreter path goes to stderr, so callers can do
#   PY=$(scripts/python-icloudpd.sh) && "$PY" crates/icloudpd-cli/tests/python/icloudpd_launcher.py --help
#
# PyPI publishes two wheels for icloudpd 1.32.3: a manylinux one that only wraps a frozen binary (pip
# prefers it on Linux) and the pure-Python `py3-none-any` one. We need the Python sources (the
# launcher patches module attributes), so we download the pure one explicitly and install that;
# its dependencies are then resolved normally.
set -euo pipefail

ICLOUDPD_VERSION="1.32.3"
AIOSMTPD_VERSION="1.4.6"
WHEEL="icloudpd-${ICLOUDPD_VERSION}-py3-none-any.whl"

log() { printf 'python-icloudpd: %s\n' "$*" >&2; }
die() {
    printf 'python-icloudpd: ERROR: %s\n' "$*" >&2
    exit 1
}

force=0
for arg in "$@"; do
    case "$arg" in
    --force) force=1 ;;
    -h | --help)
        sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//' >&2
        exit 0
        ;;
    *) die "unknown argument: $arg (try --help)" ;;
    esac
done

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
target_dir=${CARGO_TARGET_DIR:-$repo_root/target}
venv=${ICLOUDPD_PY_VENV:-$target_dir/py-icloudpd-$ICLOUDPD_VERSION}
marker="$venv/.icloudpd-$ICLOUDPD_VERSION-ready"
# A second step with its own marker, so venvs built before it existed get it too.
smtpd_marker="$venv/.aiosmtpd-$AIOSMTPD_VERSION-ready"
venv_python="$venv/bin/python"

install_hint="install Python 3.10-3.13 with the venv module and pip, e.g. Debian/Ubuntu: 'apt-get install python3 python3-venv python3-pip'; Fedora: 'dnf install python3 python3-pip'; macOS: 'brew install python@3.12'; or point ICLOUDPD_PYTHON at a suitable interpreter"

ready() { [[ $force -eq 0 && -f "$marker" && -f "$smtpd_marker" && -x "$venv_python" ]]; }

# Fast path without taking the lock: a finished venv (both steps done) is never modified again.
if ready; then
    printf '%s\n' "$venv_python"
    exit 0
fi

version_ok() { # $1 = interpreter; succeeds if 3.10 <= version < 3.14
    "$1" -c 'import sys; sys.exit(0 if (3, 10) <= sys.version_info[:2] < (3, 14) else 1)' 2>/dev/null
}

pick_python() {
    local candidates=()
    if [[ -n "${ICLOUDPD_PYTHON:-}" ]]; then
        candidates=("$ICLOUDPD_PYTHON")
    else
        candidates=(python3 python3.13 python3.12 python3.11 python3.10)
    fi
    local c found_any=""
    for c in "${candidates[@]}"; do
        if command -v "$c" >/dev/null 2>&1; then
            found_any="$c"
            if version_ok "$c"; then
                command -v "$c"
                return 0
            fi
        fi
    done
    if [[ -z "$found_any" ]]; then
        die "no Python interpreter found (tried: ${candidates[*]}). icloudpd $ICLOUDPD_VERSION needs Python >=3.10,<3.14: $install_hint"
    fi
    die "'$found_any' is Python $("$found_any" -c 'import platform; print(platform.python_version())' 2>/dev/null || echo '?'), but icloudpd $ICLOUDPD_VERSION needs Python >=3.10,<3.14: $install_hint"
}

mkdir -p "$(dirname "$venv")"
lockfile="$venv.lock"
exec 9>"$lockfile"
if command -v flock >/dev/null 2>&1; then
    flock 9
else
    log "note: 'flock' not found; not serialising concurrent setups"
fi

# Someone else may have finished while we waited for the lock.
if ready; then
    printf '%s\n' "$venv_python"
    exit 0
fi

pip=("$venv_python" -m pip --disable-pip-version-check --no-input)

# Adds aiosmtpd to a finished icloudpd venv (also to one built before this step existed).
install_aiosmtpd() {
    log "installing aiosmtpd==$AIOSMTPD_VERSION"
    if ! "${pip[@]}" install "aiosmtpd==$AIOSMTPD_VERSION" >&2; then
        die "installing aiosmtpd==$AIOSMTPD_VERSION failed: network access to https://pypi.org (or a configured index/proxy via PIP_INDEX_URL) is required"
    fi
    "$venv_python" -c 'import aiosmtpd.smtp, cryptography.x509' >&2 ||
        die "aiosmtpd $AIOSMTPD_VERSION or cryptography is not importable in $venv"
    touch "$smtpd_marker"
}

if [[ $force -eq 0 && -f "$marker" && -x "$venv_python" ]]; then
    install_aiosmtpd
    printf '%s\n' "$venv_python"
    exit 0
fi

python=$(pick_python)
log "using $python ($("$python" -c 'import platform; print(platform.python_version())'))"

if ! "$python" -c 'import venv, ensurepip' >/dev/null 2>&1; then
    die "$python lacks the 'venv'/'ensurepip' modules needed to create a virtualenv: $install_hint"
fi

start=$(date +%s)
rm -rf "$venv"
log "creating virtualenv $venv"
if ! "$python" -m venv "$venv" >&2; then
    rm -rf "$venv"
    die "'$python -m venv' failed: $install_hint"
fi

mkdir -p "$venv/wheels"
log "downloading the pure-Python wheel $WHEEL from PyPI"
if ! "${pip[@]}" download --no-deps --only-binary :all: --platform any \
    "icloudpd==$ICLOUDPD_VERSION" -d "$venv/wheels" >&2; then
    die "could not download icloudpd==$ICLOUDPD_VERSION from PyPI: network access to https://pypi.org (or a configured index/proxy via PIP_INDEX_URL) is required"
fi
[[ -f "$venv/wheels/$WHEEL" ]] || die "pip did not produce $venv/wheels/$WHEEL (got: $(ls "$venv/wheels"))"

log "installing $WHEEL and its dependencies"
if ! "${pip[@]}" install "$venv/wheels/$WHEEL" >&2; then
    die "installing icloudpd==$ICLOUDPD_VERSION (and its pinned dependencies) failed: network access to PyPI is required"
fi

# Sanity check: the pure-Python package is importable and has the modules the launcher patches.
"$venv_python" - <<'EOF' >&2 || die "the installed icloudpd is not the expected pure-Python $ICLOUDPD_VERSION package"
import importlib.metadata as md
import icloudpd.cli, icloudpd.base, icloudpd.authentication  # noqa: F401
import pyicloud_ipd.base, pyicloud_ipd.session, pyicloud_ipd.sms  # noqa: F401
v = md.version("icloudpd")
assert v == "1.32.3", v
print(f"icloudpd {v} importable from {icloudpd.cli.__file__}")
EOF

touch "$marker"
install_aiosmtpd
log "ready in $(($(date +%s) - start)) s: $venv"
printf '%s\n' "$venv_python"
