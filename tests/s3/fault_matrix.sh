#!/bin/bash
# fault_matrix: the model store's faults as a user meets them, one `swish`
# command per case against the strict fake S3 server; prints a Markdown table
# (case | exit status | first line of stderr).  Run from the repository root
# after `make`:  bash tests/s3/fault_matrix.sh
set -u
B=${SWISH_BIN:-$PWD/build/swish}
T=$(mktemp -d /tmp/swish-faults-XXXXXX)
trap 'kill $FPID 2>/dev/null; rm -rf $T' EXIT
printf '[paths]\ndata = %s/data\nmodels = %s/models\ndb = %s/swish.db\n[retrain]\nrounds = 30\nfolds = 3\n' $T $T $T > $T/c.conf
$B simulate --seed 11 --seasons 1 --first-season 2024 --out $T/data > /dev/null 2>&1 &&
    $B retrain --config $T/c.conf --until 2025-03-01 > /dev/null 2>&1 || { echo "setup failed" >&2; exit 1; }
python3 tests/s3/fake_s3.py --port 0 --access-key MATRIXKEY --secret matrix-secret-0123 --bucket b > $T/port 2> $T/fake.err &
FPID=$!
for _ in $(seq 50); do [ -s $T/port ] && break; sleep 0.1; done
E=http://127.0.0.1:$(awk '{print $2; exit}' $T/port)
export AWS_ACCESS_KEY_ID=MATRIXKEY AWS_SECRET_ACCESS_KEY=matrix-secret-0123 AWS_ENDPOINT_URL=$E AWS_REGION=us-east-1
export SWISH_STORAGE_CACHE=$T/cache
$B models sync $T/models s3://b/m > /dev/null 2>&1 || { echo "sync failed" >&2; exit 1; }
fault() { curl -s -X POST -d "$1" $E/__fault > /dev/null; }
run() {
    local name=$1
    shift
    local out rc
    out=$("$@" 2>&1 > /dev/null)
    rc=$?
    printf '| %s | %s | %s |\n' "$name" "$rc" "$(echo "$out" | grep -v -e '^swish: note' -e 'catboost_v8: no model' | head -1 | cut -c1-200)"
}
SL="$B slate --config $T/c.conf --models s3://b/m --date 2025-03-01 --no-store"
echo "| case | exit | message |"
echo "|---|---|---|"
run "slate, cold cache" $SL
fault '{"status":503,"count":2}'
run "503 twice, then served (retried)" $B models list --models s3://b/m
fault '{"status":503,"count":3}'
run "503 on every attempt (2 retries)" env SWISH_STORAGE_RETRIES=2 $B models list --models s3://b/m
fault '{"delay":3,"count":2}'
run "answers slower than the timeout (1 s)" env SWISH_STORAGE_RETRIES=1 SWISH_STORAGE_TIMEOUT_S=1 $B models list --models s3://b/m
sleep 3
fault '{"truncate":true,"count":1,"method":"GET"}'
run "truncated body once (retried)" $B models list --models s3://b/m
run "wrong secret" env AWS_SECRET_ACCESS_KEY=wrong $B models rollout gbdt x --to shadow --models s3://b/m
run "connection refused" env AWS_ENDPOINT_URL=http://127.0.0.1:1 SWISH_STORAGE_RETRIES=2 SWISH_STORAGE_CACHE=$T/none $B models list --models s3://b/m
run "no such version" $B models promote gbdt nosuch --models s3://b/m
run "no such bucket" $B slate --config $T/c.conf --models s3://nobucket/m --date 2025-03-01 --no-store
rm -rf $T/cache
fault '{"corrupt":true,"count":5,"method":"GET","path":"mean"}'
run "corrupt model downloads, cold cache" $SL
run "missing credentials" env -u AWS_ACCESS_KEY_ID $B models list --models s3://b/m
run "slate, warm cache" $SL
kill $FPID
wait $FPID 2> /dev/null
run "store unreachable, warm cache" env SWISH_STORAGE_RETRIES=1 $SL
run "store unreachable, empty cache" env SWISH_STORAGE_RETRIES=1 SWISH_STORAGE_CACHE=$T/empty $SL
