#!/usr/bin/env bash
# The offline substitutes keep their upstream images' contracts, tested through real
# clients: biodev/redis:7 with the command lines compose files give the official redis
# image (a config file that decides persistence, --appendonly, bare options); the
# s3rver stand-in with MinIO's credentials (an object put with MINIO_ROOT_USER /
# MINIO_ROOT_PASSWORD is listed back; a wrong access key and s3rver's own default are
# refused) and MinIO's health endpoint; and the healthchecks biodev puts on a
# substitute in place of one whose program it lacks turn healthy in Docker.
# (/docker-entrypoint-initdb.d for Postgres is in test_postgres_image.sh.)
source "$(dirname "$0")/lib.sh"
require_engine
new_project

mkdir -p redis-conf
cat >redis-conf/redis.conf <<'CONF'
requirepass conf-pw
appendonly no
dir /tmp
CONF
cat >biodev.yaml <<YAML

x-redis: &redis
  image: biodev/redis:7
  offline: { image: biodev/redis:7 }
services:
  conf:
    <<: *redis
    command: [redis-server, /usr/local/etc/redis/redis.conf, --maxmemory, 32mb]
    mounts: ["$WORK/redis-conf:/usr/local/etc/redis:ro"]
    ready: { type: redis, port: 6379 }
  aof:
    <<: *redis
    command: [redis-server, --appendonly, "yes", --save, ""]
    ready: { type: redis, port: 6379 }
  opts:
    <<: *redis
    command: [--maxmemory, 64mb]
    ready: { type: redis, port: 6379 }
  minio:
    image: biodev/s3rver:3.7.1
    offline: { image: biodev/s3rver:3.7.1 }
    command: [-d, /data, -a, 0.0.0.0, -p, "9000", --no-vhost-buckets]
    env: { MINIO_ROOT_USER: team-access, MINIO_ROOT_PASSWORD: team-secret-key }
    ports: ["127.0.0.1:0:9000"]
    ready: { type: http, port: 9000, path: /minio/health/live }
    # What biodev puts on the stand-in in place of a MinIO healthcheck that runs curl.
    healthcheck:
      test: ["CMD", "node", "-e", "require('http').get('http://127.0.0.1:9000/minio/health/live', r => process.exit(r.statusCode < 400 ? 0 : 1)).on('error', () => process.exit(1))"]
      interval: 1s
      retries: 30
  py:
    image: biodev/python:3.11
    offline: { image: biodev/python:3.11 }
    command: [python3, -m, http.server, "8000"]
    ready: { type: http, port: 8000, path: / }
    # ... and on biodev/python in place of a curl one.
    healthcheck:
      test: ["CMD", "python3", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/', timeout=5)"]
      interval: 1s
      retries: 30
  qdrant:
    image: biodev/runtime:\${BIODEV_VERSION}
    offline: { image: "biodev/runtime:\${BIODEV_VERSION}" }
    command: [serve, qdrant-standin]
    ready: { type: http, port: 6333, path: /readyz }
    # ... and on the Qdrant stand-in (biodev/runtime has no shell) in place of a wget one.
    healthcheck:
      test: ["CMD", "/usr/local/bin/biodev", "probe", "http://127.0.0.1:6333/readyz"]
      interval: 1s
      retries: 30
YAML

note "up: redis three ways, the MinIO stand-in, python, the Qdrant stand-in"
expect_exit 0 "$BIODEV" -p "$PROJECT" -f biodev.yaml up --timeout 120

# rcli SERVICE ARGS...: redis-cli inside the container.
rcli() { "$BIODEV" -p "$PROJECT" -f biodev.yaml exec -T "$1" -- redis-cli --no-auth-warning "${@:2}"; }

note "a config file decides persistence and the data directory, as with the official image"
[[ $(rcli conf PING) == *NOAUTH* ]] || fail "conf: requirepass from the config file is not in force"
got=$(rcli conf -a conf-pw CONFIG GET appendonly | tail -1)
[[ $got == no ]] || fail "conf: appendonly is '$got', the config file says no"
got=$(rcli conf -a conf-pw CONFIG GET dir | tail -1)
[[ $got == /tmp ]] || fail "conf: dir is '$got', the config file says /tmp"
got=$(rcli conf -a conf-pw CONFIG GET protected-mode | tail -1)
[[ $got == no ]] || fail "conf: protected-mode is '$got', expected no (as the official image sets)"
got=$(rcli conf -a conf-pw CONFIG GET maxmemory | tail -1)
[[ $got == 33554432 ]] || fail "conf: flags after the config file were dropped (maxmemory '$got')"

note "redis-server --appendonly yes, and a bare command of options"
[[ $(rcli aof CONFIG GET appendonly | tail -1) == yes ]] || fail "aof: appendonly is not yes"
[[ $(rcli aof CONFIG GET save | tail -1) == "" ]] || fail "aof: --save '' was not applied"
[[ $(rcli opts CONFIG GET maxmemory | tail -1) == 67108864 ]] || fail "opts: --maxmemory 64mb was not applied"
[[ $(rcli opts CONFIG GET dir | tail -1) == /data ]] || fail "opts: the dev defaults (dir /data) were lost"

note "the MinIO stand-in: MINIO_ROOT_USER / MINIO_ROOT_PASSWORD are the S3 credentials"
expect_exit 0 "$BIODEV" -p "$PROJECT" -f biodev.yaml status --json
S3_PORT=$(jq -r '.services[] | select(.service == "minio") | .ports[0].host_port' <<<"$OUT")
[[ $S3_PORT =~ ^[0-9]+$ ]] || fail "no published port for minio: $OUT"
curl -fsS "http://127.0.0.1:$S3_PORT/minio/health/live" >/dev/null || fail "GET /minio/health/live did not answer 200"
s3() {
  python3 - "$S3_PORT" "$@" <<'PY'
import sys, boto3, botocore
port, key, secret, action = sys.argv[1:5]
s3 = boto3.client("s3", endpoint_url=f"http://127.0.0.1:{port}", aws_access_key_id=key,
                  aws_secret_access_key=secret, region_name="us-east-1",
                  config=botocore.config.Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1},
                                                request_checksum_calculation="when_required",
                                                response_checksum_validation="when_required"))
try:
    if action == "put":
        s3.create_bucket(Bucket="team-bucket")
        s3.put_object(Bucket="team-bucket", Key="reports/one.txt", Body=b"hello from the stand-in")
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket="team-bucket").get("Contents", [])]
    body = s3.get_object(Bucket="team-bucket", Key="reports/one.txt")["Body"].read().decode()
    print("ok", ",".join(keys), body)
except botocore.exceptions.ClientError as e:
    print("refused", e.response["Error"]["Code"])
PY
}
got=$(s3 team-access team-secret-key put)
[[ $got == "ok reports/one.txt hello from the stand-in" ]] || fail "put/list/get with MinIO's credentials: $got"
got=$(s3 wrong-access team-secret-key list)
[[ $got == "refused InvalidAccessKeyId" ]] || fail "a wrong access key was not refused: $got"
got=$(s3 S3RVER S3RVER list)
[[ $got == "refused InvalidAccessKeyId" ]] || fail "s3rver's default key still works beside MinIO's: $got"
note "the AWS CLI sees the same object"
got=$(AWS_ACCESS_KEY_ID=team-access AWS_SECRET_ACCESS_KEY=team-secret-key AWS_DEFAULT_REGION=us-east-1 \
  AWS_REQUEST_CHECKSUM_CALCULATION=when_required aws --endpoint-url "http://127.0.0.1:$S3_PORT" s3 ls s3://team-bucket/reports/ 2>&1) || fail "aws s3 ls failed: $got"
expect_contains "$got" "one.txt"

note "the replacement healthchecks run in the substitutes: Docker reports them healthy"
for svc in minio py qdrant; do
  health=
  for _ in $(seq 1 60); do
    health=$(engine_get "/containers/$PROJECT-$svc/json" | jq -r '.State.Health.Status')
    [[ $health == healthy ]] && break
    sleep 0.5
  done
  [[ $health == healthy ]] || fail "$svc: Docker health is '$health' after 30 s"
done

note "up -v says how each service is seen ready"
expect_exit 0 "$BIODEV" -v -p "$PROJECT" -f biodev.yaml up --timeout 60
expect_contains "$OUT" "minio: ready by biodev's probe of http :9000/minio/health/live"
expect_contains "$OUT" "conf: ready by biodev's probe of redis :6379 (its ready probe)"

echo "PASS [$TEST_NAME]"
