#!/usr/bin/env python3
"""fake_s3: a small, strict S3 / GCS (XML API) server for swish's object-store
tests.  Python 3 standard library only, loopback only, path-style buckets.

    fake_s3.py --port 0 --access-key K --secret S [--bucket B ...] [--dir D]
               [--region us-east-1] [--session-token T]
    fake_s3.py --selftest    (its signer on AWS's published SigV4 example)

The first line on stdout is "PORT <n>".  Buckets: every --bucket, plus (with
--dir) every folder of D; objects live in memory, or as files D/BUCKET/KEY
with --dir (metadata in memory).

Strict about what the real services check:
  - AWS4-HMAC-SHA256 (S3) and GOOG4-HMAC-SHA256 (GCS) Authorization headers,
    verified in full: method, canonical URI (the decoded path re-encoded per
    RFC 3986), sorted canonical query, signed headers (host, the date and
    every x-amz-* / x-goog-* header must be signed), payload hash header;
    credential scope (date, region, service, terminator), 15-minute skew;
  - x-amz-content-sha256 (x-goog-content-sha256) is required and must be the
    sha256 of the body (400 XAmzContentSHA256Mismatch), UNSIGNED-PAYLOAD aside;
  - errors are S3's XML bodies (<Error><Code>..</Code><Message>..</Message>).
Objects: GET, HEAD, PUT (If-Match, If-None-Match: *, x-goog-if-generation-
match; 412 PreconditionFailed, If-Match on a missing key 404 NoSuchKey as on
S3), DELETE (S3: 204 even when absent; GCS: 404), ListObjectsV2 (prefix,
max-keys, continuation-token).  ETag: quoted md5; x-goog-generation; user
metadata x-amz-meta-* / x-goog-meta-* kept and returned.

Unsigned control endpoints (not logged):
  POST /__fault  JSON, applied to the next `count` requests (default 1), in
                 order of posting; optional "method" limits it to one method, "path" to
                 requests whose path contains that text:
                 {"status":503[,"code":"SlowDown"]}  answer with that error
                 {"delay":3.0}          sleep, then answer normally
                 {"truncate":true}      full Content-Length, half the body, close
                 {"corrupt":true}       flip a byte of a GET body
                 {"drop":true}          close the connection without answering
  GET /__log     the requests seen: [{"method","path","query","status"}...]
  DELETE /__log  forget them
"""
import argparse
import base64
import datetime
import hashlib
import hmac
import json
import os
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from xml.sax.saxutils import escape

EMPTY_SHA = hashlib.sha256(b"").hexdigest()


def uri_encode(s, keep_slash):
    safe = "-._~" + ("/" if keep_slash else "")
    return urllib.parse.quote(s, safe=safe)


def signature(alg, secret, method, raw_path, raw_query, header_values, signed, payload, stamp, scope):
    """SigV4 (AWS4-HMAC-SHA256, or GOOG4-HMAC-SHA256 with the GOOG4 key
    prefix): the signature, the string to sign and the canonical request.
    The canonical URI and query are rebuilt from the decoded request, as the
    services do, so a client that encodes or orders differently fails."""
    canon_headers = "".join("%s:%s\n" % (h, ",".join(" ".join(v.split()) for v in header_values(h)))
                            for h in signed)
    canon_uri = uri_encode(urllib.parse.unquote(raw_path), True)
    pairs = []
    for item in raw_query.split("&") if raw_query else []:
        k, _, v = item.partition("=")
        pairs.append((uri_encode(urllib.parse.unquote(k), False), uri_encode(urllib.parse.unquote(v), False)))
    canon_query = "&".join("%s=%s" % kv for kv in sorted(pairs))
    canonical = "\n".join([method, canon_uri, canon_query, canon_headers, ";".join(signed), payload])
    sts = "\n".join([alg, stamp, "/".join(scope), hashlib.sha256(canonical.encode()).hexdigest()])
    key = (("GOOG4" if alg.startswith("GOOG4") else "AWS4") + secret).encode()
    for m in scope:
        key = hmac.new(key, m.encode(), hashlib.sha256).digest()
    return hmac.new(key, sts.encode(), hashlib.sha256).hexdigest(), sts, canonical


def selftest():
    """AWS's published example (S3 API Reference, SigV4 "GET Object")."""
    h = {"host": ["examplebucket.s3.amazonaws.com"], "range": ["bytes=0-9"],
         "x-amz-content-sha256": [EMPTY_SHA], "x-amz-date": ["20130524T000000Z"]}
    sig, _, _ = signature("AWS4-HMAC-SHA256", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "GET", "/test.txt", "",
                          h.get, sorted(h), EMPTY_SHA, "20130524T000000Z",
                          ("20130524", "us-east-1", "s3", "aws4_request"))
    want = "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"
    print("selftest", "ok" if sig == want else "FAILED: %s, expected %s" % (sig, want))
    return 0 if sig == want else 1


class Store:
    """Buckets of objects: data (memory or files), etag, generation, metadata."""

    def __init__(self, buckets, directory):
        self.lock = threading.RLock()
        self.dir = directory
        self.buckets = {b: {} for b in buckets}
        self.generation = 1000
        if directory:
            os.makedirs(directory, exist_ok=True)
            for b in buckets:
                os.makedirs(os.path.join(directory, b), exist_ok=True)
            for b in os.listdir(directory):
                root = os.path.join(directory, b)
                if not os.path.isdir(root):
                    continue
                objs = self.buckets.setdefault(b, {})
                for dp, _, files in os.walk(root):
                    for f in files:
                        key = os.path.relpath(os.path.join(dp, f), root)
                        objs[key] = self._entry(None)

    def _entry(self, meta):
        self.generation += 1
        return {"generation": self.generation, "meta": meta or {},
                "mtime": time.time()}

    def _path(self, bucket, key):
        return os.path.join(self.dir, bucket, key)

    def data(self, bucket, key):
        obj = self.buckets[bucket][key]
        if not self.dir:
            return obj["data"]
        with open(self._path(bucket, key), "rb") as f:
            return f.read()

    def put(self, bucket, key, data, meta):
        obj = self._entry(meta)
        if self.dir:
            p = self._path(bucket, key)
            os.makedirs(os.path.dirname(p), exist_ok=True)
            tmp = p + ".fake-tmp"
            with open(tmp, "wb") as f:
                f.write(data)
            os.replace(tmp, p)
        else:
            obj["data"] = data
        self.buckets[bucket][key] = obj
        return obj

    def delete(self, bucket, key):
        del self.buckets[bucket][key]
        if self.dir:
            try:
                os.unlink(self._path(bucket, key))
            except FileNotFoundError:
                pass


class Fault:
    def __init__(self, spec):
        self.spec = spec
        self.count = int(spec.get("count", 1))
        self.method = spec.get("method")
        self.path = spec.get("path")  # a substring of the request path


class S3Error(Exception):
    def __init__(self, status, code, message, **extra):
        super().__init__(message)
        self.status, self.code, self.message, self.extra = status, code, message, extra


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "fake_s3"

    def log_message(self, *args):
        pass

    # ---- plumbing ----

    def _body(self):
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            raise S3Error(411, "MissingContentLength", "You must provide the Content-Length HTTP header.")
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def _log(self, status):
        """Record the request once, before its answer goes out (a client that
        has its answer finds it in /__log)."""
        if self.logged or self.control:
            return
        self.logged = True
        with self.server.lock:
            self.server.log.append({"method": self.command, "path": self.url.path, "query": self.url.query,
                                    "status": status})

    def _send(self, status, body=b"", headers=None, head=False, fault=None):
        self._log(status)
        if fault and fault.spec.get("corrupt") and body and self.command == "GET":
            body = bytearray(body)
            body[len(body) // 2] ^= 0x01
            body = bytes(body)
        self.send_response(status)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        if fault and fault.spec.get("truncate"):
            self.send_header("Connection", "close")
        self.end_headers()
        if head:
            return
        if fault and fault.spec.get("truncate"):
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            self.close_connection = True
            return
        self.wfile.write(body)

    def _error(self, e, head=False, fault=None):
        x = ["<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error>",
             "<Code>%s</Code>" % escape(e.code), "<Message>%s</Message>" % escape(e.message)]
        for k, v in e.extra.items():
            x.append("<%s>%s</%s>" % (k, escape(str(v)), k))
        x.append("<RequestId>fake</RequestId></Error>")
        body = "".join(x).encode()
        self._send(e.status, body, {"Content-Type": "application/xml"}, head=head, fault=fault)

    def _take_fault(self):
        srv = self.server
        with srv.lock:
            for f in srv.faults:
                if f.method and f.method != self.command:
                    continue
                if f.path and f.path not in self.path:
                    continue
                f.count -= 1
                if f.count <= 0:
                    srv.faults.remove(f)
                return f
        return None

    def _handle(self):
        self.logged = False
        u = self.url = urllib.parse.urlsplit(self.path)
        self.control = u.path in ("/__fault", "/__log")
        if self.control:
            return self._control(u.path)
        fault = self._take_fault()
        try:
            try:
                body = self._body() if self.command in ("PUT", "POST") else b""
                if fault and fault.spec.get("delay"):
                    time.sleep(float(fault.spec["delay"]))
                if fault and fault.spec.get("drop"):
                    self.close_connection = True
                    return
                if fault and fault.spec.get("status"):
                    st = int(fault.spec["status"])
                    code = fault.spec.get("code") or {500: "InternalError", 503: "SlowDown", 429: "SlowDown",
                                                       403: "AccessDenied", 404: "NoSuchKey"}.get(st, "InjectedFault")
                    raise S3Error(st, code, "injected fault")
                flavour = self._verify(u, body)
                self._dispatch(u, body, flavour, fault)
            except S3Error as e:
                self._error(e, head=self.command == "HEAD", fault=fault)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
        finally:
            self._log(0)  # dropped: no answer

    do_GET = do_HEAD = do_PUT = do_DELETE = do_POST = _handle

    def _control(self, path):
        srv = self.server
        if path == "/__fault" and self.command == "POST":
            spec = json.loads(self._body() or b"{}")
            with srv.lock:
                srv.faults.append(Fault(spec))
            return self._send(200, b"{}", {"Content-Type": "application/json"})
        if path == "/__log" and self.command == "GET":
            with srv.lock:
                out = json.dumps(srv.log).encode()
            return self._send(200, out, {"Content-Type": "application/json"})
        if path == "/__log" and self.command == "DELETE":
            with srv.lock:
                srv.log.clear()
            return self._send(204)
        return self._send(405)

    # ---- signature ----

    def _verify(self, u, body):
        srv = self.server
        auth = self.headers.get("Authorization")
        if not auth:
            raise S3Error(403, "AccessDenied", "Anonymous access is forbidden for this operation")
        alg, _, rest = auth.partition(" ")
        if alg == "AWS4-HMAC-SHA256":
            flavour, x, term = "s3", "x-amz-", "aws4_request"
        elif alg == "GOOG4-HMAC-SHA256":
            flavour, x, term = "gcs", "x-goog-", "goog4_request"
        else:
            raise S3Error(400, "InvalidArgument", "Unsupported Authorization Type")
        parts = {}
        for comp in rest.split(","):
            k, _, v = comp.strip().partition("=")
            parts[k] = v
        if set(parts) != {"Credential", "SignedHeaders", "Signature"}:
            raise S3Error(400, "AuthorizationHeaderMalformed", "The authorization header is malformed")
        cred = parts["Credential"].split("/")
        if len(cred) != 5:
            raise S3Error(400, "AuthorizationHeaderMalformed", "The authorization header is malformed; bad Credential")
        akid, cdate, region, service, cterm = cred
        if akid != srv.access_key:
            raise S3Error(403, "InvalidAccessKeyId",
                          "The AWS Access Key Id you provided does not exist in our records.", AWSAccessKeyId=akid)
        want_service = "s3" if flavour == "s3" else "storage"
        want_region = srv.region if flavour == "s3" else None
        if service != want_service or cterm != term or (want_region and region != want_region):
            raise S3Error(400, "AuthorizationHeaderMalformed",
                          "The authorization header is malformed; the credential scope %s/%s/%s is wrong; "
                          "expecting %s/%s/%s" % (region, service, cterm, want_region or region, want_service, term))
        stamp = self.headers.get(x + "date")
        if not stamp:
            raise S3Error(403, "AccessDenied", "requests must carry a valid %sdate header" % x)
        if len(self.headers.get_all(x + "date")) != 1:
            raise S3Error(400, "InvalidArgument", "%sdate given more than once" % x)
        try:
            t = datetime.datetime.strptime(stamp, "%Y%m%dT%H%M%SZ").replace(tzinfo=datetime.timezone.utc)
        except ValueError:
            raise S3Error(403, "AccessDenied", "invalid %sdate" % x)
        if abs((datetime.datetime.now(datetime.timezone.utc) - t).total_seconds()) > 900:
            raise S3Error(403, "RequestTimeTooSkewed",
                          "The difference between the request time and the current time is too large.")
        if cdate != stamp[:8]:
            raise S3Error(403, "SignatureDoesNotMatch", "credential date does not match %sdate" % x)
        payload = self.headers.get(x + "content-sha256")
        if payload is None:
            raise S3Error(400, "InvalidRequest", "Missing required header for this request: %scontent-sha256" % x)
        if payload != "UNSIGNED-PAYLOAD":
            if len(payload) != 64 or any(c not in "0123456789abcdef" for c in payload):
                raise S3Error(400, "InvalidArgument", "%scontent-sha256 must be UNSIGNED-PAYLOAD or a valid sha256"
                              % x)
            got = hashlib.sha256(body).hexdigest()
            if got != payload:
                raise S3Error(400, "XAmzContentSHA256Mismatch",
                              "The provided '%scontent-sha256' header does not match what was computed." % x,
                              ClientComputedContentSHA256=payload, S3ComputedContentSHA256=got)
        token = self.headers.get("x-amz-security-token")
        if srv.session_token is not None and token != srv.session_token:
            raise S3Error(403, "InvalidToken", "The provided token is malformed or otherwise invalid.")
        signed = parts["SignedHeaders"].split(";")
        if signed != sorted(signed) or any(h != h.lower() for h in signed):
            raise S3Error(400, "AuthorizationHeaderMalformed", "SignedHeaders must be sorted lower-case names")
        present = {k.lower() for k in self.headers.keys()}
        for need in ["host"] + [h for h in present if h.startswith("x-amz-") or h.startswith("x-goog-")]:
            if need not in signed:
                raise S3Error(403, "AccessDenied", "There were headers present in the request which were not "
                              "signed", HeadersNotSigned=need)
        for h in signed:
            if self.headers.get_all(h) is None:
                raise S3Error(403, "SignatureDoesNotMatch", "signed header %s is not in the request" % h)
        want, sts, canonical = signature(alg, srv.secret, self.command, u.path, u.query,
                                         lambda h: self.headers.get_all(h), signed, payload, stamp,
                                         (cdate, region, service, term))
        if not hmac.compare_digest(want, parts["Signature"]):
            raise S3Error(403, "SignatureDoesNotMatch",
                          "The request signature we calculated does not match the signature you provided. "
                          "Check your key and signing method.",
                          AWSAccessKeyId=akid, StringToSign=sts, CanonicalRequest=canonical)
        return flavour

    # ---- operations ----

    def _dispatch(self, u, body, flavour, fault):
        srv = self.server
        path = urllib.parse.unquote(u.path)
        bucket, _, key = path.lstrip("/").partition("/")
        with srv.store.lock:
            if bucket not in srv.store.buckets:
                raise S3Error(404, "NoSuchBucket", "The specified bucket does not exist", BucketName=bucket)
            if not key:
                if self.command != "GET":
                    raise S3Error(405, "MethodNotAllowed", "The specified method is not allowed against this resource.")
                return self._list(bucket, urllib.parse.parse_qs(u.query, keep_blank_values=True), fault)
            objs = srv.store.buckets[bucket]
            obj = objs.get(key)
            meta_prefix = "x-amz-meta-" if flavour == "s3" else "x-goog-meta-"
            if self.command in ("GET", "HEAD"):
                if obj is None:
                    raise S3Error(404, "NoSuchKey", "The specified key does not exist.", Key=key)
                data = srv.store.data(bucket, key)
                h = self._obj_headers(obj, data, meta_prefix)
                return self._send(200, data, h, head=self.command == "HEAD", fault=fault)
            if self.command == "PUT":
                self._preconditions(obj, key, srv.store, bucket)
                meta = {k.lower()[len(meta_prefix):]: v for k, v in self.headers.items()
                        if k.lower().startswith(meta_prefix)}
                obj = srv.store.put(bucket, key, body, meta)
                h = {"ETag": '"%s"' % hashlib.md5(body).hexdigest()}
                h["x-goog-generation"] = str(obj["generation"])
                return self._send(200, b"", h, fault=fault)
            if self.command == "DELETE":
                if obj is None:
                    if flavour == "gcs":
                        raise S3Error(404, "NoSuchKey", "The specified key does not exist.", Key=key)
                    return self._send(204, b"", fault=fault)
                srv.store.delete(bucket, key)
                return self._send(204, b"", fault=fault)
        raise S3Error(405, "MethodNotAllowed", "The specified method is not allowed against this resource.")

    def _obj_headers(self, obj, data, meta_prefix):
        h = {"ETag": '"%s"' % hashlib.md5(data).hexdigest(),
             "Last-Modified": time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(obj["mtime"])),
             "Content-Type": "application/octet-stream",
             "x-goog-generation": str(obj["generation"])}
        for k, v in obj["meta"].items():
            h[meta_prefix + k] = v
        return h

    def _preconditions(self, obj, key, store, bucket):
        fail = S3Error(412, "PreconditionFailed", "At least one of the pre-conditions you specified did not hold",
                       Condition="If-Match")
        im = self.headers.get("If-Match")
        inm = self.headers.get("If-None-Match")
        gm = self.headers.get("x-goog-if-generation-match")
        if im is not None:
            if obj is None:
                raise S3Error(404, "NoSuchKey", "The specified key does not exist.", Key=key)
            cur = hashlib.md5(store.data(bucket, key)).hexdigest()
            if im.strip().strip('"') != cur:
                raise fail
        if inm is not None:
            if inm.strip() != "*":
                raise S3Error(501, "NotImplemented", "If-None-Match on PUT takes only *")
            if obj is not None:
                fail.extra["Condition"] = "If-None-Match"
                raise fail
        if gm is not None:
            want = int(gm)
            cur = 0 if obj is None else obj["generation"]
            if want != cur:
                fail.extra["Condition"] = "x-goog-if-generation-match"
                raise fail

    def _list(self, bucket, q, fault):
        if q.get("list-type", [""])[0] != "2":
            raise S3Error(400, "InvalidArgument", "only ListObjectsV2 (list-type=2) is served here")
        prefix = q.get("prefix", [""])[0]
        try:
            max_keys = int(q.get("max-keys", ["1000"])[0])
        except ValueError:
            raise S3Error(400, "InvalidArgument", "Provided max-keys not an integer or within integer range")
        max_keys = max(0, min(max_keys, 1000))
        token = q.get("continuation-token", [None])[0]
        start = ""
        if token is not None:
            try:
                start = base64.urlsafe_b64decode(token.encode()).decode()
            except Exception:
                raise S3Error(400, "InvalidArgument", "The continuation token provided is incorrect")
        store = self.server.store
        keys = sorted(k for k in store.buckets[bucket] if k.startswith(prefix) and (token is None or k > start))
        page, more = keys[:max_keys], len(keys) > max_keys
        x = ['<?xml version="1.0" encoding="UTF-8"?>\n'
             '<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">',
             "<Name>%s</Name><Prefix>%s</Prefix><KeyCount>%d</KeyCount><MaxKeys>%d</MaxKeys>"
             % (escape(bucket), escape(prefix), len(page), max_keys),
             "<IsTruncated>%s</IsTruncated>" % ("true" if more else "false")]
        if token is not None:
            x.append("<ContinuationToken>%s</ContinuationToken>" % escape(token))
        if more:
            x.append("<NextContinuationToken>%s</NextContinuationToken>"
                     % escape(base64.urlsafe_b64encode(page[-1].encode()).decode()))
        for k in page:
            obj = store.buckets[bucket][k]
            data = store.data(bucket, k)
            x.append("<Contents><Key>%s</Key><LastModified>%s</LastModified><ETag>&quot;%s&quot;</ETag>"
                     "<Size>%d</Size><StorageClass>STANDARD</StorageClass></Contents>"
                     % (escape(k, {'"': "&quot;", "'": "&apos;"}),
                        time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(obj["mtime"])),
                        hashlib.md5(data).hexdigest(), len(data)))
        x.append("</ListBucketResult>")
        return self._send(200, "".join(x).encode(), {"Content-Type": "application/xml"}, fault=fault)


def main():
    if sys.argv[1:] == ["--selftest"]:
        sys.exit(selftest())
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--dir")
    ap.add_argument("--bucket", action="append", default=[])
    ap.add_argument("--access-key", required=True)
    ap.add_argument("--secret", required=True)
    ap.add_argument("--region", default="us-east-1")
    ap.add_argument("--session-token")
    a = ap.parse_args()
    srv = ThreadingHTTPServer(("127.0.0.1", a.port), Handler)
    srv.daemon_threads = True
    srv.lock = threading.Lock()
    srv.faults, srv.log = [], []
    srv.store = Store(a.bucket, a.dir)
    srv.access_key, srv.secret, srv.region, srv.session_token = a.access_key, a.secret, a.region, a.session_token
    print("PORT %d" % srv.server_address[1], flush=True)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
