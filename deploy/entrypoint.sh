#!/usr/bin/env bash
# Entry point of every service of the image: runs the service command given as arguments.
#
# With DAGSTER_INSTANCE_INIT=1 (set on the daemon in docker-compose.yml, which starts before the
# webserver) it first upgrades the instance schema after an image upgrade and sets the `gemini` pool
# limit. Both steps are idempotent, so restarts and re-deploys are safe.
set -euo pipefail

if [ "${DAGSTER_INSTANCE_INIT:-0}" = "1" ]; then
  dagster instance migrate >/dev/null
  dagster instance concurrency set gemini "${GEMINI_POOL_LIMIT:-2}"
fi

exec "$@"
