#!/usr/bin/env bash
# Drift check for CI: plan against the real clouds and arrays and fail the
# job when DR protection no longer matches the configuration.
#
#   exit 0  protection matches the code
#   exit 2  drift: the plan printed above says what changed; `apply` repairs
#           it (or the plan said why it cannot)
#   exit 1  the plan itself failed (a site or array unreachable, bad
#           credentials, a drift an apply cannot repair)
#
# TF names the binary (default tofu; terraform works the same way). Extra
# arguments go to `plan` (e.g. -var-file=prod.tfvars).
set -uo pipefail

tf=${TF:-tofu}
"$tf" plan -detailed-exitcode -input=false -lock=false "$@"
rc=$?
case $rc in
  0) echo "OK: DR protection matches the configuration." ;;
  2) echo "DRIFT: DR protection differs from the configuration (see the plan above). Apply to repair it." ;;
  *) echo "ERROR: the plan failed (exit $rc); see the messages above."; rc=1 ;;
esac
exit "$rc"
