"""S3 calls application code makes, through boto3 (whichever version runs this), against
the stack's S3 at ENDPOINT with KEY and SECRET, in a new BUCKET. Prints one line per check; exits 1 on the
first failure. Used by tests/integration/test_s3_clients.sh."""
import hashlib, hmac, sys, time, urllib.error, urllib.request
import boto3, botocore
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

endpoint, key, secret, BUCKET = sys.argv[1:5]


def client(k=key, s=secret):
    return boto3.client("s3", endpoint_url=endpoint, aws_access_key_id=k, aws_secret_access_key=s,
                        region_name="us-east-1",
                        config=botocore.config.Config(s3={"addressing_style": "path"}, signature_version="s3v4",
                                                      retries={"max_attempts": 1}))


def check(name, ok, detail=""):
    if not ok:
        print(f"FAIL {name}: {detail}")
        sys.exit(1)
    print(f"ok {name}")


def refused(call, code, status):
    try:
        call()
    except botocore.exceptions.ClientError as e:
        got = (e.response["Error"].get("Code"), e.response["ResponseMetadata"]["HTTPStatusCode"])
        return got == (code, status), f"got {got}"
    return False, "accepted"


def http(method, url, body=None, headers=None):
    req = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


s3 = client()
s3.create_bucket(Bucket=BUCKET)
s3.put_object(Bucket=BUCKET, Key="docs/a.txt", Body=b"alpha", ContentType="text/plain",
              Metadata={"owner": "team"})
s3.put_object(Bucket=BUCKET, Key="docs/sub/b.txt", Body=b"bravo")
s3.put_object(Bucket=BUCKET, Key="top.txt", Body=b"")
check("get", s3.get_object(Bucket=BUCKET, Key="docs/a.txt")["Body"].read() == b"alpha")
head = s3.head_object(Bucket=BUCKET, Key="docs/a.txt")
check("head", head["ContentLength"] == 5 and head["Metadata"] == {"owner": "team"}, head)
listing = s3.list_objects_v2(Bucket=BUCKET, Prefix="docs/", Delimiter="/")
check("list prefix+delimiter",
      [o["Key"] for o in listing.get("Contents", [])] == ["docs/a.txt"]
      and [p["Prefix"] for p in listing.get("CommonPrefixes", [])] == ["docs/sub/"], listing)
s3.copy_object(Bucket=BUCKET, Key="copy.txt", CopySource={"Bucket": BUCKET, "Key": "docs/a.txt"})
check("copy", s3.get_object(Bucket=BUCKET, Key="copy.txt")["Body"].read() == b"alpha")
ranged = s3.get_object(Bucket=BUCKET, Key="docs/a.txt", Range="bytes=1-3")["Body"].read()
check("ranged get", ranged == b"lph", ranged)
odd = "odd key/with space+plus!(x)*'~.txt"
s3.put_object(Bucket=BUCKET, Key=odd, Body=b"odd")
check("key with reserved characters", s3.get_object(Bucket=BUCKET, Key=odd)["Body"].read() == b"odd")

part1, part2 = b"x" * (5 * 1024 * 1024), b"y" * 1024
mp = s3.create_multipart_upload(Bucket=BUCKET, Key="big.bin")
parts = []
for n, data in ((1, part1), (2, part2)):
    r = s3.upload_part(Bucket=BUCKET, Key="big.bin", UploadId=mp["UploadId"], PartNumber=n, Body=data)
    parts.append({"PartNumber": n, "ETag": r["ETag"]})
s3.complete_multipart_upload(Bucket=BUCKET, Key="big.bin", UploadId=mp["UploadId"],
                             MultipartUpload={"Parts": parts})
got = s3.get_object(Bucket=BUCKET, Key="big.bin")["Body"].read()
check("multipart", got == part1 + part2, len(got))

url = s3.generate_presigned_url("get_object", Params={"Bucket": BUCKET, "Key": "docs/a.txt"}, ExpiresIn=60)
check("presigned get", http("GET", url) == (200, b"alpha"))
url = s3.generate_presigned_url("put_object", Params={"Bucket": BUCKET, "Key": "presigned.txt"}, ExpiresIn=60)
check("presigned put", http("PUT", url, b"via url")[0] == 200
      and s3.get_object(Bucket=BUCKET, Key="presigned.txt")["Body"].read() == b"via url")
tampered = url.replace("presigned.txt", "elsewhere.txt")
status, body = http("PUT", tampered, b"x")
check("presigned url changed: 403 SignatureDoesNotMatch", status == 403 and b"SignatureDoesNotMatch" in body, body[:200])
short = s3.generate_presigned_url("get_object", Params={"Bucket": BUCKET, "Key": "docs/a.txt"}, ExpiresIn=1)
time.sleep(2.2)
status, body = http("GET", short)
check("presigned url expired: 403 AccessDenied", status == 403 and b"Request has expired" in body, body[:200])

deleted = s3.delete_objects(Bucket=BUCKET, Delete={"Objects": [{"Key": "copy.txt"}, {"Key": "top.txt"}]})
check("batch delete", sorted(d["Key"] for d in deleted.get("Deleted", [])) == ["copy.txt", "top.txt"], deleted)
check("missing bucket: 404 NoSuchBucket", *refused(lambda: s3.list_objects_v2(Bucket="no-such-bucket"), "NoSuchBucket", 404))
check("missing key: 404 NoSuchKey", *refused(lambda: s3.get_object(Bucket=BUCKET, Key="nope"), "NoSuchKey", 404))

# Credentials and signatures, as AWS judges them.
bad = client(s="not-the-secret")
check("wrong secret: 403 SignatureDoesNotMatch", *refused(lambda: bad.list_objects_v2(Bucket=BUCKET), "SignatureDoesNotMatch", 403))
check("wrong secret on put: refused, nothing stored",
      refused(lambda: bad.put_object(Bucket=BUCKET, Key="bad.txt", Body=b"no"), "SignatureDoesNotMatch", 403)[0]
      and refused(lambda: s3.head_object(Bucket=BUCKET, Key="bad.txt"), "404", 404)[0])
check("unknown access key: 403 InvalidAccessKeyId",
      *refused(lambda: client(k="AKIANOSUCHKEY").list_objects_v2(Bucket=BUCKET), "InvalidAccessKeyId", 403))
status, body = http("GET", f"{endpoint}/{BUCKET}/docs/a.txt")
check("anonymous: 403 AccessDenied", status == 403 and b"<Code>AccessDenied</Code>" in body, body[:200])

creds = Credentials(key, secret)
EMPTY = hashlib.sha256(b"").hexdigest()


def signing_key(date):
    k = hmac.new(("AWS4" + secret).encode(), date.encode(), hashlib.sha256).digest()
    for part in ("us-east-1", "s3", "aws4_request"):
        k = hmac.new(k, part.encode(), hashlib.sha256).digest()
    return k


def signed(method, path, body, payload_hash, extra=None):
    req = AWSRequest(method=method, url=endpoint + path, data=body,
                     headers={"x-amz-content-sha256": payload_hash, **(extra or {})})
    SigV4Auth(creds, "s3", "us-east-1").add_auth(req)
    return dict(req.headers)


headers = signed("PUT", f"/{BUCKET}/docs/a.txt", b"alpha", hashlib.sha256(b"alpha").hexdigest())
status, body = http("PUT", f"{endpoint}/{BUCKET}/docs/a.txt", b"OMEGA", headers)
check("body changed after signing: 400 XAmzContentSHA256Mismatch, object kept",
      status == 400 and b"XAmzContentSHA256Mismatch" in body
      and s3.get_object(Bucket=BUCKET, Key="docs/a.txt")["Body"].read() == b"alpha", body[:200])
old = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(time.time() - 20 * 60))
host = endpoint.split("//", 1)[1]
canonical = "\n".join(["GET", f"/{BUCKET}", "", f"host:{host}", f"x-amz-content-sha256:{EMPTY}",
                       f"x-amz-date:{old}", "", "host;x-amz-content-sha256;x-amz-date", EMPTY])
to_sign = "\n".join(["AWS4-HMAC-SHA256", old, f"{old[:8]}/us-east-1/s3/aws4_request",
                     hashlib.sha256(canonical.encode()).hexdigest()])
signature = hmac.new(signing_key(old[:8]), to_sign.encode(), hashlib.sha256).hexdigest()
status, body = http("GET", f"{endpoint}/{BUCKET}", None, {
    "x-amz-content-sha256": EMPTY, "x-amz-date": old,
    "Authorization": f"AWS4-HMAC-SHA256 Credential={key}/{old[:8]}/us-east-1/s3/aws4_request, "
                     f"SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature={signature}"})
check("clock 20 minutes behind: 403 RequestTimeTooSkewed", status == 403 and b"RequestTimeTooSkewed" in body, body[:200])


# An aws-chunked upload (STREAMING-AWS4-HMAC-SHA256-PAYLOAD) as the Java and Go SDKs send
# it: the seed signature from botocore, each chunk signed after the one before.
def chunked(key_name, chunks, corrupt=False):
    amz_date = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    length = sum(map(len, chunks))
    framed_len = sum(len(f"{len(c):x};chunk-signature=") + 64 + 2 + len(c) + 2 for c in chunks + [b""])
    headers = signed("PUT", f"/{BUCKET}/{key_name}", None, "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
                     {"Content-Encoding": "aws-chunked", "x-amz-decoded-content-length": str(length),
                      "Content-Length": str(framed_len), "X-Amz-Date": amz_date})
    amz_date = headers["X-Amz-Date"]
    prev = headers["Authorization"].rsplit("Signature=", 1)[1]
    scope = f"{amz_date[:8]}/us-east-1/s3/aws4_request"
    k = signing_key(amz_date[:8])
    out = b""
    for c in chunks + [b""]:
        to_sign = "\n".join(["AWS4-HMAC-SHA256-PAYLOAD", amz_date, scope, prev,
                             EMPTY, hashlib.sha256(c).hexdigest()])
        prev = hmac.new(k, to_sign.encode(), hashlib.sha256).hexdigest()
        sent = c.replace(b"b", b"B") if corrupt else c
        out += f"{len(c):x};chunk-signature={prev}\r\n".encode() + sent + b"\r\n"
    return http("PUT", f"{endpoint}/{BUCKET}/{key_name}", out, headers)


status, body = chunked("chunked.bin", [b"a" * 65536, b"b" * 1000])
got = s3.get_object(Bucket=BUCKET, Key="chunked.bin")["Body"].read()
check("aws-chunked upload stored without its framing", status == 200 and got == b"a" * 65536 + b"b" * 1000,
      f"{status} {body[:200]} {len(got)}")
status, body = chunked("chunked-bad.bin", [b"a" * 65536, b"b" * 1000], corrupt=True)
check("aws-chunked chunk changed: 403 SignatureDoesNotMatch, nothing stored",
      status == 403 and b"SignatureDoesNotMatch" in body
      and refused(lambda: s3.head_object(Bucket=BUCKET, Key="chunked-bad.bin"), "404", 404)[0], body[:200])
print(f"PASS boto3 {boto3.__version__}")
