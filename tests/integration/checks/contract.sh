#!/usr/bin/env bash
# Run by `biodev run` as its command: checks, from the outside as an application would,
# that every variable of the env-var contract points at a working service.
set -euo pipefail
for v in DATABASE_URL REDIS_URL S3_ENDPOINT S3_FORCE_PATH_STYLE AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY \
         QDRANT_URL INFERENCE_URL BIODEV_PROJECT; do
  [[ -n ${!v:-} ]] || { echo "contract: $v is not set" >&2; exit 10; }
done
# Redis: PING over a plain TCP socket.
hostport=${REDIS_URL#redis://}; hostport=${hostport%%/*}
exec 3<>"/dev/tcp/${hostport%:*}/${hostport#*:}"
printf 'PING\r\n' >&3
read -r -t 2 pong <&3
[[ $pong == +PONG* ]] || { echo "contract: redis answered '$pong'" >&2; exit 11; }
# Postgres: the seeded schema, through the stack's own container.
n=$("$BIODEV" -p "$BIODEV_PROJECT" exec -T postgres -- psql -U bio -d bio -tAc "select count(*) from samples")
(( n >= 1 )) || { echo "contract: no seeded rows" >&2; exit 12; }
# S3: SigV4 put and get, path-style.
key="ci/$BIODEV_PROJECT.txt"
echo "$BIODEV_PROJECT" | curl -fsS --aws-sigv4 "aws:amz:us-east-1:s3" --user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" \
  -H "x-amz-content-sha256: UNSIGNED-PAYLOAD" -T - "$S3_ENDPOINT/raw/$key" >/dev/null
got=$(curl -fsS --aws-sigv4 "aws:amz:us-east-1:s3" --user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" \
  -H "x-amz-content-sha256: UNSIGNED-PAYLOAD" "$S3_ENDPOINT/raw/$key")
[[ $got == "$BIODEV_PROJECT" ]] || { echo "contract: S3 returned '$got'" >&2; exit 13; }
# Qdrant and inference.
curl -fsS "$QDRANT_URL/collections/documents" >/dev/null || { echo "contract: no collection" >&2; exit 14; }
dim=$(curl -fsS -X POST "$INFERENCE_URL/v1/embeddings" -H 'Content-Type: application/json' -d '{"input":"x"}' \
  | jq '.data[0].embedding | length')
[[ $dim == 384 ]] || { echo "contract: embedding dimension $dim" >&2; exit 15; }
echo "contract ok for $BIODEV_PROJECT"
