#!/usr/bin/env bash
# Set up a fresh machine for sfn-etl: Java for Spark, the project virtualenv, and (with --test)
# what the tests need: the dev extras, a tools virtualenv for checkov, PostgreSQL.
# Idempotent: a second run only checks.
set -euo pipefail
cd "$(dirname "$0")"

WITH_TEST=0
[[ "${1:-}" == "--test" ]] && WITH_TEST=1
PYTHON="${SFN_ETL_PYTHON:-python3.11}"
say() { echo "setup: $*" >&2; }

apt_install() {
    if [[ "$(id -u)" != 0 ]]; then
        say "missing $*; install it with: sudo apt-get install -y $*"
        exit 1
    fi
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -q "$@" >&2 || { apt-get update -q >&2 && apt-get install -y -q "$@" >&2; }
}

java_major() {
    java -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -1
}

# Spark 3.5 (AWS Glue 5.0) runs on Java 17.
if ! command -v java >/dev/null || [[ "$(java_major)" -lt 17 ]]; then
    say "Java 17 not found; installing openjdk-17-jre-headless"
    apt_install openjdk-17-jre-headless
fi

# `sfn-etl graph` and the console draw the state machine with Graphviz's dot; the pipeline
# itself runs without it, so only the tests insist.
if ! command -v dot >/dev/null; then
    if [[ "$(id -u)" == 0 || $WITH_TEST == 1 ]]; then
        say "Graphviz not found; installing graphviz"
        apt_install graphviz
    else
        say "Graphviz not found: sfn-etl graph and console need it (sudo apt-get install -y graphviz)"
    fi
fi

if ! command -v "$PYTHON" >/dev/null; then
    say "$PYTHON not found: AWS Glue 5.0 runs Python 3.11; install it (e.g. apt-get install python3.11-venv)"
    exit 1
fi

extras="."
[[ $WITH_TEST == 1 ]] && extras=".[dev]"
stamp=".venv/.installed-$(sha256sum pyproject.toml | cut -c1-16)-$WITH_TEST"
if [[ ! -f "$stamp" ]]; then
    [[ -x .venv/bin/python ]] || "$PYTHON" -m venv .venv
    say "installing $extras into .venv (about 2 minutes from an empty pip cache)"
    .venv/bin/python -m pip install -q --disable-pip-version-check -e "$extras" >&2
    rm -f .venv/.installed-*
    touch "$stamp"
fi

if [[ $WITH_TEST == 1 ]]; then
    # The console's test looks at it in a real headless browser: Debian's chromium.
    if [[ ! -x /usr/bin/chromium ]]; then
        say "chromium not found; installing it for the console's browser test"
        apt_install chromium
    fi
    # checkov pins old boto3/packaging releases: it gets a virtualenv of its own.
    if [[ ! -x .venv-tools/bin/checkov ]]; then
        say "installing checkov into .venv-tools"
        "$PYTHON" -m venv .venv-tools
        .venv-tools/bin/python -m pip install -q --disable-pip-version-check "checkov==3.3.30" >&2
    fi
fi
