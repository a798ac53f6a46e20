#!/usr/bin/env bash
# The one script behind the GitHub Action (action.yml) and the GitLab template (.ci/templates/gitlab.yml):
# runs scim-conformance against SCIM_TARGET with inputs from the environment, and exits as the CLI does
# (0 clean at --fail-on, 1 findings, 2 harness or usage error). SCIM_TOKEN is read by the CLI itself.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

if [[ -z "${SCIM_TARGET:-}" ]]; then
  echo "scim-conformance: set SCIM_TARGET (the action's 'target' input): the server under test." >&2
  exit 2
fi
args=(run --target "$SCIM_TARGET" --report-dir "${SCIM_REPORT_DIR:-reports}" --fail-on "${SCIM_FAIL_ON:-must}")
if [[ -n "${SCIM_SPEC:-}" ]]; then
  args+=(--spec "$SCIM_SPEC")
elif [[ -n "${SCIM_VENDOR:-}" ]]; then
  args+=(--vendor "$SCIM_VENDOR")
else
  echo "scim-conformance: set SCIM_VENDOR (lightdash, maia, cube, generic) or SCIM_SPEC (your OpenAPI file)." >&2
  exit 2
fi
if [[ -n "${SCIM_BASELINE:-}" ]]; then args+=(--baseline "$SCIM_BASELINE"); fi
if [[ -n "${SCIM_EXTRA_ARGS:-}" ]]; then
  read -r -a extra <<<"$SCIM_EXTRA_ARGS"
  args+=("${extra[@]}")
fi

# The compiled CLI of this checkout (npm ci builds it through `prepare`).
cli="$here/dist/src/cli/cli.js"
if [[ ! -f "$cli" ]]; then
  (cd "$here" && npm ci --no-audit --no-fund >&2)
fi
exec node "$cli" "${args[@]}"
