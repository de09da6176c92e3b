#!/usr/bin/env sh
# Regenerate the lock files from pyproject.toml: the single source of truth for them.
#
#   requirements/runtime.lock  what `citebot run` needs (the Dockerfile, systemd installs)
#   requirements/dev.lock      the same plus the [dev] extra (CI: .ci/run)
#
# Both pin every package, transitive ones included, with the sha256 of every file PyPI
# has for it, for every platform (--universal), so `pip install --require-hashes -r ...`
# installs exactly these files anywhere. Run it after any change to the dependencies of
# pyproject.toml (tests/test_deploy_files.py turns red until you do), and to take upgrades:
#
#   pip install "uv==0.13.9"    # once (uv is a build tool here, not a dependency)
#   tools/lock.sh               # pins stay where they are unless pyproject needs a change
#   tools/lock.sh --upgrade     # every pin to its newest allowed release
set -eu
cd "$(dirname "$0")/.."
compile() {  # compile OUTPUT [uv options...]
    out=$1
    shift
    uv pip compile pyproject.toml "$@" \
        --universal --python-version 3.11 --generate-hashes --quiet \
        --custom-compile-command "tools/lock.sh" \
        -o "requirements/$out"
}
compile runtime.lock "$@"
compile dev.lock --extra dev "$@"
