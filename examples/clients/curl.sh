#!/usr/bin/env bash
# The policyengine service from the shell: curl, sed and grep only (no Python, no jq).
#
#   policyengine serve --pack haining &            # http://127.0.0.1:8000/api/v1
#   export PE_TOKEN=$(policyengine serve token create --name 示例 --role assessor)
#   bash examples/clients/curl.sh
#
# PE_URL (default http://127.0.0.1:8000) and PE_TOKEN (an assessor's token) come from the
# environment; what the service answers is written to PE_OUT (default: a new temporary directory).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
api="${PE_URL:-http://127.0.0.1:8000}/api/v1"
auth="Authorization: Bearer ${PE_TOKEN:?set PE_TOKEN to a token from policyengine serve token create}"
out="${PE_OUT:-$(mktemp -d)}"
json='Content-Type: application/json'

echo "== the packs this service evaluates with"
curl -sS --fail-with-body "$api/packs" -o "$out/packs.json"
grep -o '"id": *"[a-z0-9_]*", *"version": *"[^"]*"' "$out/packs.json"

echo "== evaluate one station (kept in the decision history)"
body="{\"record\": $(cat "$here/station.json"), \"packs\": [\"haining\"], \"as_of\": \"2023-06-30\"}"
curl -sS --fail-with-body -H "$auth" -H "$json" -d "$body" "$api/evaluate" -o "$out/evaluation.json"
grep -o '"verdict_label": *"[^"]*"' "$out/evaluation.json"
grep -o '"evaluation_id": *[0-9]*' "$out/evaluation.json"

echo "== a mistake answers with a problem document: where it is and what to do"
curl -sS -H "$auth" -H "$json" -d '{"packs": ["haining"],
  "record": {"id": 1,,}}' "$api/evaluate" -w '\nHTTP %{http_code} %{content_type}\n'

echo "== a ledger as a batch job: progress, then the results"
job="$(curl -sS --fail-with-body -H "$auth" -F packs=haining -F formats=xlsx -F formats=csv \
  -F as_of=2023-06-30 -F "ledger=@$here/stations.jsonl" "$api/jobs")"
id="$(printf '%s' "$job" | sed -n 's/.*"id": *"\([0-9a-f]\{16\}\)".*/\1/p')"
while :; do
  state="$(curl -sS --fail-with-body -H "$auth" "$api/jobs/$id")"
  status="$(printf '%s' "$state" | sed -n 's/.*"status": *"\([a-z]*\)".*/\1/p')"
  printf '%s %s\n' "$status" "$(printf '%s' "$state" | grep -o '"progress": *{[^}]*}')"
  case "$status" in succeeded | failed) break ;; esac
  sleep 1
done
[ "$status" = succeeded ] || { printf '%s\n' "$state"; exit 1; }
curl -sS --fail-with-body -H "$auth" "$api/jobs/$id/results/xlsx" -o "$out/results.xlsx"
curl -sS --fail-with-body -H "$auth" "$api/jobs/$id/results/csv" -o "$out/results.csv"
echo "results: $out/results.xlsx $out/results.csv"

echo "== the rectification ledger (整改台账): items still open"
curl -sS --fail-with-body -H "$auth" "$api/rectification?open=true" -o "$out/open-items.json"
grep -o '"subject": *{[^}]*}, *"region": *"[^"]*", *"pack": *"[^"]*", *"rule": *"[^"]*"' "$out/open-items.json" || echo "none"
