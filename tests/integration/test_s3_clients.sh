#!/usr/bin/env bash
# The offline S3 (biodev/s3rver with its SigV4 front) held to what real clients that
# nobody here wrote expect of S3: boto3 (Debian's, and any newer one `python3` has) runs
# tests/integration/clients/s3_boto3.py (objects, listing, copy, ranges, multipart,
# presigned URLs, batch delete, 404s; a wrong secret, an unknown key, anonymous access, a
# body changed after signing, a skewed clock and a changed aws-chunked upload refused as
# AWS refuses them); the AWS CLI (Debian's v2, and a v1 when one is on PATH) copies a
# multipart object up and down and is refused with a wrong secret. The seeds in the same
# profile are signed by biodev's own signer, so `up` exercises that side too.
source "$(dirname "$0")/lib.sh"
require_engine
new_project

cat >biodev.yaml <<YAML
services:
  s3:
    image: biodev/s3rver:3.7.1
    offline: { image: biodev/s3rver:3.7.1 }
    env: { MINIO_ROOT_USER: conformance-key, MINIO_ROOT_PASSWORD: conformance-secret }
    ports: ["127.0.0.1:0:9000"]
    ready: { type: http, port: 9000, path: /minio/health/live }
    seed: { type: s3, buckets: [seeded], access_key: conformance-key, secret_key: conformance-secret }
YAML

note "up: the S3 stand-in, its bucket seeded through the SigV4 front"
expect_exit 0 "$BIODEV" -p "$PROJECT" -f biodev.yaml up --timeout 120
expect_exit 0 "$BIODEV" -p "$PROJECT" -f biodev.yaml status --json
PORT=$(jq -r '.services[] | select(.service == "s3") | .ports[0].host_port' <<<"$OUT")
[[ $PORT =~ ^[0-9]+$ ]] || fail "no published port for s3: $OUT"
ENDPOINT="http://127.0.0.1:$PORT"

# Every boto3 on this machine: Debian's python3-boto3, and python3's own when it differs.
ran=0
for py in /usr/bin/python3 python3; do
  [[ $py == python3 && $(command -v python3) == /usr/bin/python3 ]] && continue
  version=$("$py" -c 'import boto3; print(boto3.__version__)' 2>/dev/null) || {
    [[ $py == /usr/bin/python3 ]] && fail "Debian's python3-boto3 is missing (scripts/deps.sh installs it)"
    continue
  }
  note "boto3 $version ($py)"
  out=$("$py" "$SRC/tests/integration/clients/s3_boto3.py" "$ENDPOINT" conformance-key conformance-secret \
        "boto3-${version//./-}" 2>&1) || fail "boto3 $version: $out"
  expect_contains "$out" "PASS boto3 $version"
  ran=$((ran + 1))
done
[[ $ran -ge 1 ]] || fail "no boto3 ran"

note "the seeded bucket is there"
got=$(/usr/bin/python3 - "$ENDPOINT" <<'PY'
import sys, boto3, botocore
s3 = boto3.client("s3", endpoint_url=sys.argv[1], aws_access_key_id="conformance-key",
                  aws_secret_access_key="conformance-secret", region_name="us-east-1",
                  config=botocore.config.Config(s3={"addressing_style": "path"}))
print(" ".join(sorted(b["Name"] for b in s3.list_buckets()["Buckets"])))
PY
) || fail "list_buckets: $got"
expect_contains "$got" "seeded"

head -c 12000000 /dev/urandom >big.bin
for aws in /usr/bin/aws $(command -v aws || true); do
  [[ -x $aws ]] || fail "the AWS CLI is missing (scripts/deps.sh installs Debian's awscli)"
  version=$("$aws" --version 2>&1 | cut -d' ' -f1)
  note "$version ($aws): mb, multipart cp up and down, ls, a wrong secret"
  bucket="cli-$(tr -dc a-z0-9 <<<"${version#aws-cli/}")"
  export AWS_ACCESS_KEY_ID=conformance-key AWS_SECRET_ACCESS_KEY=conformance-secret AWS_DEFAULT_REGION=us-east-1
  a() { "$aws" --endpoint-url "$ENDPOINT" "$@" 2>&1; }
  a s3 mb "s3://$bucket" >/dev/null || fail "$version: mb"
  out=$(a s3 cp --no-progress big.bin "s3://$bucket/dir/big.bin") || fail "$version: cp up: $out"
  out=$(a s3 cp --no-progress "s3://$bucket/dir/big.bin" big.out) || fail "$version: cp down: $out"
  cmp -s big.bin big.out || fail "$version: the object came back different"
  out=$(a s3 ls "s3://$bucket/dir/") || fail "$version: ls: $out"
  expect_contains "$out" "12000000 big.bin"
  out=$(AWS_SECRET_ACCESS_KEY=wrong a s3 ls "s3://$bucket/") && fail "$version: a wrong secret was accepted"
  expect_contains "$out" "SignatureDoesNotMatch"
  rm -f big.out
  [[ $aws == /usr/bin/aws && $(command -v aws) == /usr/bin/aws ]] && break
done

echo "PASS [$TEST_NAME]"
