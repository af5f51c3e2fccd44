# shellcheck shell=bash
# Where DML's set-up keeps what it downloads and builds: Python venvs, pip's
# and npm's download caches, the Stylus toolchain, extra cargo target folders.
# Sourced (not run) by the scripts under scripts/ and crates/*/scripts/, so the
# rule lives in one place:
#
#   $DML_CACHE if set (.ci/run points it at ../.ci-cache beside the clone, so
#   CI runs reuse it), else the user's cache folder,
#   ${XDG_CACHE_HOME:-$HOME/.cache}/dml.
#
# Nothing a user runs writes outside the clone except there and ~/.config/dml.
# DML_CACHE is exported so that the tests `scripts/test.sh` runs look for what
# set-up installed in the same place, and pip's and npm's own caches are
# pointed inside it (they would otherwise write ~/.cache/pip and ~/.npm).
#
# Also sets dml_weights_dir: where the built-in models' weights go, the folder
# `dml` reads by default (dml_models::builtin::default_weights_dir):
# $DML_WEIGHTS_DIR, else $HOME/.cache/dml/weights. That default does not
# follow XDG_CACHE_HOME, and neither does this one, so the two agree.

if [[ -z ${DML_CACHE:-} ]]; then
    # The XDG spec says a relative XDG_CACHE_HOME is to be ignored.
    case ${XDG_CACHE_HOME:-} in
        /*) DML_CACHE=$XDG_CACHE_HOME/dml ;;
        *) DML_CACHE=${HOME:?HOME is not set: set DML_CACHE}/.cache/dml ;;
    esac
fi
export DML_CACHE
export PIP_CACHE_DIR="${PIP_CACHE_DIR:-$DML_CACHE/pip}"
export npm_config_cache="${npm_config_cache:-$DML_CACHE/npm}"
# shellcheck disable=SC2034 # used by the scripts that source this file
dml_weights_dir="${DML_WEIGHTS_DIR:-${HOME:?HOME is not set: set DML_WEIGHTS_DIR}/.cache/dml/weights}"
