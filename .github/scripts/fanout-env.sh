#!/usr/bin/env bash
# Exports each FANOUT_* setting that is set as a repository variable, and only those.
#
# The workflow passes the variables as VAR_FANOUT_<NAME>: an unset repository variable expands
# to "", and "" is not "use the default" for every setting (FANOUT_STATE_LOCKING="" is an
# error), so only non-empty values reach $GITHUB_ENV, as FANOUT_<NAME>. A value with a line break
# is refused: in $GITHUB_ENV it would set further variables.
set -euo pipefail
: "${GITHUB_ENV:?run this in a GitHub Actions step}"
while IFS= read -r name; do
  value="${!name}"
  # A newline would end the NAME=value line and let the rest set other variables.
  if [[ "$value" == *$'\n'* || "$value" == *$'\r'* ]]; then
    echo "${name#VAR_}: the repository variable holds a line break; one line only" >&2
    exit 1
  fi
  if [ -n "$value" ]; then
    printf '%s=%s\n' "${name#VAR_}" "$value" >>"$GITHUB_ENV"
    echo "${name#VAR_} set from the repository variable"
  fi
done < <(compgen -v VAR_FANOUT_ || true)
