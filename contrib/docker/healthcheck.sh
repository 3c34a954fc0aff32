#!/bin/bash
# The container's health check (installed as /usr/local/bin/icloudpd-healthcheck): asks
# icloudpd's /healthz on the metrics port, http://127.0.0.1:$ICLOUDPD_METRICS_PORT/healthz, with
# bash's /dev/tcp, so that the image needs no curl. Exit 0 (healthy) on HTTP 200, which icloudpd
# answers while its last pass succeeded and is recent; exit 1 (unhealthy) on any other answer
# (503 after a failed or overdue pass) or on none. With ICLOUDPD_METRICS_PORT empty there is no
# metrics server to ask, and the check says so and exits 0.
set -u

port="${ICLOUDPD_METRICS_PORT:-}"
if [ -z "$port" ]; then
  echo "ICLOUDPD_METRICS_PORT is empty: no metrics server, health not checked"
  exit 0
fi
case "$port" in
  *[!0-9]*)
    echo "ICLOUDPD_METRICS_PORT is not a port number: $port"
    exit 1
    ;;
esac

# A subshell, so that a refused connection ends it and not this script before it says why.
status_line=$(
  exec 2>/dev/null 3<>"/dev/tcp/127.0.0.1/$port" || exit 1
  printf 'GET /healthz HTTP/1.0\r\nHost: 127.0.0.1:%s\r\nConnection: close\r\n\r\n' "$port" >&3
  IFS= read -r -t 5 line <&3 || exit 1
  printf '%s' "${line%$'\r'}"
)
if [ -z "$status_line" ]; then
  echo "no answer from http://127.0.0.1:$port/healthz (is icloudpd running with --metrics-port $port?)"
  exit 1
fi
echo "http://127.0.0.1:$port/healthz: $status_line"
read -r _ code _ <<<"$status_line"
[ "$code" = 200 ]
