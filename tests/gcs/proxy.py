"""A test-only proxy in front of fake-gcs-server that lets object_store's GCS client write to it.

object_store writes a GCS object with an XML-API upload, ``PUT /BUCKET/OBJECT``, and makes a create
conditional with ``x-goog-if-generation-match: 0``. fake-gcs-server does not implement XML-API
uploads (it answers ``400 invalid uploadType``; fsouza/fake-gcs-server#331), and of its JSON-API
uploads only ``uploadType=multipart`` enforces ``ifGenerationMatch`` (simple and resumable uploads
ignore it). So this proxy turns each XML-API PUT into that JSON-API multipart upload, with the
precondition carried over, and answers the way the XML API does (200 with ``ETag`` and
``x-goog-generation``, 412 when the precondition fails). The emulator has no XML-API multipart
upload either: the proxy keeps the parts (initiate, put part, abort) and on "complete" uploads them
joined, unconditionally, as GCS does. Every other request (GET, HEAD, DELETE, the XML list) is
passed through unchanged, except that the emulator's 500 for a missing bucket becomes GCS's 404
NoSuchBucket.

What this proves, honestly: lastgood's logic on GCS *semantics* (create-if-absent decided by the
server, one winner among racing writers, overwrite, read-after-write, list, delete), not that
object_store's GCS *requests* are accepted by Google: the uploads reach the emulator in another form.

Usage: python3 proxy.py LISTEN_PORT UPSTREAM_PORT   (both on 127.0.0.1; prints "ready" when listening)
"""

from __future__ import annotations

import hashlib
import http.client
import http.server
import json
import os
import re
import threading
import socketserver
import sys
import urllib.parse
import uuid

UPSTREAM = ("127.0.0.1", 0)
# XML-API multipart uploads in progress: upload id -> {part number: bytes}. The emulator has none.
UPLOADS: dict[str, dict[int, bytes]] = {}
LOCK = threading.Lock()
VERBOSE = bool(os.environ.get("LASTGOOD_GCS_PROXY_LOG"))
HOP = {"connection", "keep-alive", "transfer-encoding", "host", "content-length"}


class Proxy(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):  # one line per request, in DIR/proxy.log
        if VERBOSE:
            sys.stderr.write(f"{self.command} {self.path} -> {fmt % args}\n")

    def _body(self) -> bytes:
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def _send(self, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
        self.send_response(status)
        length = str(len(body))
        for k, v in headers:
            if k.lower() == "content-length" and self.command == "HEAD":
                length = v  # a HEAD answers with the object's size, and no body
            elif k.lower() not in HOP:
                self.send_header(k, v)
        self.send_header("Content-Length", length)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _forward(self, method: str, path: str, headers: dict, body: bytes):
        conn = http.client.HTTPConnection(*UPSTREAM, timeout=60)
        # The emulator serves the XML API only for its public host: keep the client's Host.
        headers = {**headers, "Host": self.headers.get("Host", "")}
        try:
            conn.request(method, path, body=body or None, headers=headers)
            resp = conn.getresponse()
            return resp.status, resp.getheaders(), resp.read()
        finally:
            conn.close()

    def _pass(self) -> None:
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP}
        status, hdrs, body = self._forward(self.command, self.path, headers, self._body())
        if status == 500 and b"no bucket named" in body:
            # The emulator answers a missing bucket with 500; GCS answers 404 NoSuchBucket.
            status, body = 404, b"<?xml version='1.0' encoding='UTF-8'?><Error><Code>NoSuchBucket</Code><Message>The specified bucket does not exist.</Message></Error>"
        self._send(status, hdrs, body)

    do_GET = do_HEAD = _pass

    def _target(self):
        """(bucket, object name, query) of an XML-API object request, or None."""
        url = urllib.parse.urlsplit(self.path)
        parts = url.path.lstrip("/").split("/", 1)
        if len(parts) != 2 or not parts[1]:
            return None
        return urllib.parse.unquote(parts[0]), urllib.parse.unquote(parts[1]), urllib.parse.parse_qs(url.query, keep_blank_values=True)

    def do_PUT(self) -> None:
        t = self._target()
        if t is None or "x-goog-copy-source" in self.headers:
            return self._pass()
        bucket, name, query = t
        if "uploadId" in query:  # a part of an XML-API multipart upload
            data = self._body()
            with LOCK:
                UPLOADS[query["uploadId"][0]][int(query["partNumber"][0])] = data
            return self._send(200, [("ETag", f'"{hashlib.md5(data).hexdigest()}"')], b"")
        if query:
            return self._pass()
        self._upload(bucket, name, self._body(), self.headers.get("x-goog-if-generation-match"))

    def do_POST(self) -> None:
        t = self._target()
        if t is None:
            return self._pass()
        bucket, name, query = t
        if "uploads" in query:  # XML-API multipart: initiate (kept in this proxy)
            self._body()
            uid = uuid.uuid4().hex
            with LOCK:
                UPLOADS[uid] = {}
            xml = (f"<?xml version='1.0' encoding='UTF-8'?><InitiateMultipartUploadResult><Bucket>{bucket}</Bucket>"
                   f"<Key>{name}</Key><UploadId>{uid}</UploadId></InitiateMultipartUploadResult>")
            return self._send(200, [("Content-Type", "application/xml")], xml.encode())
        if "uploadId" in query:  # complete: the parts listed, in order, as one unconditional upload
            listed = [int(n) for n in re.findall(r"<PartNumber>(\d+)</PartNumber>", self._body().decode())]
            with LOCK:
                parts = UPLOADS.pop(query["uploadId"][0], {})
            data = b"".join(parts[n] for n in listed)
            return self._upload(bucket, name, data, None, complete=True)
        return self._pass()

    def do_DELETE(self) -> None:
        t = self._target()
        if t is not None and "uploadId" in t[2]:  # abort a multipart upload
            with LOCK:
                UPLOADS.pop(t[2]["uploadId"][0], None)
            return self._send(204, [], b"")
        self._pass()

    def _upload(self, bucket: str, name: str, data: bytes, match, complete: bool = False) -> None:
        query = {"uploadType": "multipart", "name": name}
        if match is not None:
            query["ifGenerationMatch"] = match
        boundary = uuid.uuid4().hex
        meta = {"name": name, "contentType": self.headers.get("Content-Type") or "application/octet-stream"}
        body = b"".join([
            f"--{boundary}\r\nContent-Type: application/json; charset=UTF-8\r\n\r\n".encode(),
            json.dumps(meta).encode(),
            f"\r\n--{boundary}\r\nContent-Type: {meta['contentType']}\r\n\r\n".encode(),
            data,
            f"\r\n--{boundary}--\r\n".encode(),
        ])
        target = f"/upload/storage/v1/b/{urllib.parse.quote(bucket, safe='')}/o?" + urllib.parse.urlencode(query)
        headers = {"Content-Type": f"multipart/related; boundary={boundary}"}
        if "Authorization" in self.headers:
            headers["Authorization"] = self.headers["Authorization"]
        status, hdrs, answer = self._forward("POST", target, headers, body)
        if status == 200:
            obj = json.loads(answer)
            etag = obj.get("etag") or obj.get("md5Hash") or ""
            headers = [("ETag", f'"{etag}"'), ("x-goog-generation", str(obj.get("generation", "")))]
            if complete:
                xml = (f"<?xml version='1.0' encoding='UTF-8'?><CompleteMultipartUploadResult><Bucket>{bucket}</Bucket>"
                       f"<Key>{name}</Key><ETag>\"{etag}\"</ETag></CompleteMultipartUploadResult>")
                return self._send(200, headers + [("Content-Type", "application/xml")], xml.encode())
            return self._send(200, headers, b"")
        # 412 (precondition failed) and errors pass through; the XML API answers 412 the same way.
        self._send(status, [(k, v) for k, v in hdrs if k.lower() == "content-type"], answer)


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def main() -> None:
    global UPSTREAM
    listen, upstream = int(sys.argv[1]), int(sys.argv[2])
    UPSTREAM = ("127.0.0.1", upstream)
    server = Server(("127.0.0.1", listen), Proxy)
    print("ready", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
