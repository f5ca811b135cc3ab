"""Raw HTTP over a socket for the black-box tests: send any bytes (malformed, pipelined, split) and read answers
exactly as they come (Content-Length, chunked or to EOF); every answer read is shown to answer_observers.
tallylib re-exports RawResponse and RawConnection.
"""
from __future__ import annotations

import json
import socket

from answer_observers import _observe_answer, answer_observers


class RawResponse:
    def __init__(self, status: int, reason: str, headers: list[tuple[str, str]], body: bytes):
        self.status = status
        self.reason = reason
        self.header_list = headers
        self.body = body

    def header(self, name: str) -> str | None:
        for k, v in self.header_list:
            if k.lower() == name.lower():
                return v
        return None

    def json(self):
        return json.loads(self.body.decode("utf-8"))


class RawConnection:
    def __init__(self, port: int, timeout: float = 10.0):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.buf = b""
        self.expecting: tuple[str, str] | None = None  # (method, path) of the answer request() reads next

    def send(self, data: bytes):
        self.sock.sendall(data)

    def _fill(self) -> bool:
        chunk = self.sock.recv(65536)
        if not chunk:
            return False
        self.buf += chunk
        return True

    def _read_until(self, marker: bytes) -> bytes:
        while marker not in self.buf:
            if not self._fill():
                raise EOFError(f"connection closed while waiting for {marker!r}; have {self.buf[:200]!r}")
        head, _, self.buf = self.buf.partition(marker)
        return head

    def _read_exact(self, n: int) -> bytes:
        while len(self.buf) < n:
            if not self._fill():
                raise EOFError(f"connection closed with {len(self.buf)}/{n} body bytes")
        data, self.buf = self.buf[:n], self.buf[n:]
        return data

    def read_response(self) -> RawResponse:
        expecting, self.expecting = self.expecting, None
        resp = self._read_response()
        if answer_observers:
            method, path = expecting or (None, None)
            _observe_answer(method, path, resp.status, resp.header_list, resp.body)
        return resp

    def _read_response(self) -> RawResponse:
        head = self._read_until(b"\r\n\r\n").decode("latin-1")
        lines = head.split("\r\n")
        version, status, *reason = lines[0].split(" ", 2)
        assert version.startswith("HTTP/1."), lines[0]
        headers = []
        for line in lines[1:]:
            k, _, v = line.partition(":")
            headers.append((k.strip(), v.strip()))
        resp = RawResponse(int(status), reason[0] if reason else "", headers, b"")
        te = (resp.header("Transfer-Encoding") or "").lower()
        if "chunked" in te:
            body = b""
            while True:
                size_line = self._read_until(b"\r\n").decode("latin-1")
                size = int(size_line.split(";")[0].strip(), 16)
                if size == 0:
                    self._read_until(b"\r\n")  # (no trailers expected)
                    break
                body += self._read_exact(size)
                self._read_exact(2)
            resp.body = body
        elif resp.header("Content-Length") is not None:
            resp.body = self._read_exact(int(resp.header("Content-Length")))
        else:
            # read to EOF
            while self._fill():
                pass
            resp.body, self.buf = self.buf, b""
        return resp

    def request(self, method: str, path: str, body: bytes | None = None, headers: dict | None = None) -> RawResponse:
        h = {"Host": "127.0.0.1"}
        h.update(headers or {})
        if body is not None:
            h["Content-Length"] = str(len(body))
        text = f"{method} {path} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in h.items()) + "\r\n"
        self.send(text.encode("latin-1") + (body or b""))
        self.expecting = (method, path.split("?", 1)[0])
        return self.read_response()

    def closed_by_peer(self) -> bool:
        """True once the peer closes (waits up to the socket timeout for that)."""
        try:
            while True:
                chunk = self.sock.recv(65536)
                if not chunk:
                    return True
                self.buf += chunk
        except socket.timeout:
            return False
        except (ConnectionResetError, BrokenPipeError):
            return True

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
