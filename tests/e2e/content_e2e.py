#!/usr/bin/env python3
"""End-to-end tests of the built content-server, called with `buf curl`.

Each test starts the real binary on 127.0.0.1:0 with a fresh database in a
temporary directory, reads the chosen port from its "serving" log line, and
talks to it only through gRPC server reflection (`buf curl --protocol grpc
--http2-prior-knowledge`), the way a client without our .proto files would.

Usage:
  content_e2e.py [--content-server PATH] [--buf PATH] [unittest arguments]
The paths may also come from the CONTENT_SERVER and BUF environment variables;
by default they are build/services/content/content-server and
.tools/node_modules/.bin/buf under the repository root. Python 3 standard
library only.
"""

import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
CONTENT_SERVER = os.environ.get("CONTENT_SERVER", os.path.join(REPO_ROOT, "build", "services", "content", "content-server"))
BUF = os.environ.get("BUF", os.path.join(REPO_ROOT, ".tools", "node_modules", ".bin", "buf"))

SERVICE = "newsdesk.content.v1.ContentService"
CONTENT_METHODS = [
    "CreateArticle",
    "GetArticle",
    "ListArticles",
    "UpdateArticle",
    "DeleteArticle",
    "UndeleteArticle",
]
START_TIMEOUT_S = 30
SHUTDOWN_GRACE = "5s"
# The grace period plus time to close the database and exit.
SHUTDOWN_LIMIT_S = 7.0
CALL_TIMEOUT_S = 60

POLISH_LOWER = "ąćęłńóśźż"
POLISH_UPPER = "ĄĆĘŁŃÓŚŹŻ"


class RpcError(Exception):
    """A `buf curl` call that did not succeed."""

    def __init__(self, returncode, stdout, stderr):
        super().__init__(f"buf curl exited {returncode}: {stderr.decode('utf-8', 'replace').strip()}")
        self.returncode = returncode
        self.stdout = stdout
        self.stderr = stderr

    @property
    def code(self):
        """The gRPC status code as buf prints it (e.g. "not_found"), or None."""
        match = re.search(rb'"code":\s*"([a-z_]+)"', self.stderr)
        return match.group(1).decode() if match else None


# The editor token the tests call with; the server gets only its SHA-256.
EDITOR_TOKEN = "e2e-editor-token-6d1f0b"


def write_token_file(path):
    digest = hashlib.sha256(EDITOR_TOKEN.encode()).hexdigest()
    with open(path, "w", encoding="ascii") as f:
        f.write(f"# e2e tokens\nsha256:{digest} editor e2e\n")
    return path


class ContentServer:
    """One content-server process with its stderr captured to a file."""

    def __init__(self, db_path, log_path):
        self.db_path = db_path
        self.log_path = log_path
        self.tokens_path = write_token_file(db_path.rstrip("/") + ".tokens")
        self.extra_args = []
        self.scheme = "http"
        self.process = None
        self.address = None

    def start(self):
        self._log = open(self.log_path, "ab")
        self._log_offset = self._log.tell()
        self.process = subprocess.Popen(
            [
                CONTENT_SERVER,
                "--listen=127.0.0.1:0",
                f"--db_path={self.db_path}",
                f"--shutdown_grace={SHUTDOWN_GRACE}",
                f"--auth_tokens_file={self.tokens_path}",
            ]
            + self.extra_args,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=self._log,
        )
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            self.address = self._serving_address()
            if self.address:
                return self
            if self.process.poll() is not None:
                raise AssertionError(
                    f"content-server exited with {self.process.returncode} before serving:\n{self.log()}"
                )
            time.sleep(0.05)
        raise AssertionError(f"content-server did not log 'serving' within {START_TIMEOUT_S} s:\n{self.log()}")

    def _serving_address(self):
        with open(self.log_path, "rb") as f:
            f.seek(self._log_offset)
            for line in f:
                try:
                    entry = json.loads(line)
                except ValueError:
                    continue
                if entry.get("message") == "serving":
                    return entry["address"]
        return None

    def log(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def stop(self, sig=signal.SIGTERM):
        """Sends `sig` and returns (exit code, seconds until exit)."""
        begin = time.monotonic()
        self.process.send_signal(sig)
        try:
            code = self.process.wait(timeout=SHUTDOWN_LIMIT_S + 10)
        except subprocess.TimeoutExpired:
            code = None
        elapsed = time.monotonic() - begin
        self._close_log()
        return code, elapsed

    def kill(self):
        """Last resort (finally blocks): never leave a server behind."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self._close_log()

    def _close_log(self):
        if getattr(self, "_log", None) is not None:
            self._log.close()
            self._log = None

    @property
    def url(self):
        return f"{self.scheme}://{self.address}"


def buf_curl(server, *args, data=None, token=EDITOR_TOKEN):
    """Runs `buf curl` against `server` (as an editor unless `token` is None);
    returns stdout bytes, raises RpcError."""
    command = [BUF, "curl", "--protocol", "grpc", "--timeout", "20s"]
    if server.scheme == "http":
        command += ["--http2-prior-knowledge"]
    if token is not None:
        command += ["-H", f"authorization: Bearer {token}"]
    if data is not None:
        command += ["-d", "@-"]
    command += list(args)
    result = subprocess.run(
        command,
        input=None if data is None else json.dumps(data, ensure_ascii=False).encode("utf-8"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        timeout=CALL_TIMEOUT_S,
    )
    if result.returncode != 0:
        raise RpcError(result.returncode, result.stdout, result.stderr)
    return result.stdout


def call(server, method, request, token=EDITOR_TOKEN):
    """Calls `method` ("Service/Method" or a ContentService method name) with
    a JSON request; returns the decoded JSON response and its raw bytes."""
    if "/" not in method:
        method = f"{SERVICE}/{method}"
    raw = buf_curl(server, f"{server.url}/{method}", data=request, token=token)
    return json.loads(raw.decode("utf-8")), raw


class ContentServerE2ETest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="newsdesk-e2e-")
        # Keep buf's cache out of $HOME so parallel or sandboxed runs do not
        # depend on it.
        os.environ["BUF_CACHE_DIR"] = os.path.join(self.tmp, "buf-cache")
        self.db_path = os.path.join(self.tmp, "content")
        self.servers = []

    def tearDown(self):
        for server in self.servers:
            server.kill()
        if not os.environ.get("NEWSDESK_E2E_KEEP_TMP"):
            shutil.rmtree(self.tmp, ignore_errors=True)

    def start_server(self, extra_args=(), scheme="http"):
        server = ContentServer(self.db_path, os.path.join(self.tmp, f"server-{len(self.servers)}.log"))
        server.extra_args = list(extra_args)
        server.scheme = scheme
        self.servers.append(server)
        try:
            return server.start()
        except BaseException:
            server.kill()
            raise

    def assert_stops_cleanly(self, server, sig=signal.SIGTERM):
        code, elapsed = server.stop(sig)
        self.assertIsNotNone(code, f"content-server still running {elapsed:.1f} s after {sig.name}:\n{server.log()}")
        self.assertEqual(code, 0, f"content-server exit code after {sig.name}:\n{server.log()}")
        self.assertLess(elapsed, SHUTDOWN_LIMIT_S, f"shutdown after {sig.name} took {elapsed:.2f} s")
        self.assertIn('"message":"stopped"', server.log())

    def polish_article(self):
        return {
            "title": f"Zażółć gęślą jaźń – {POLISH_UPPER} {POLISH_LOWER}",
            "lead": f"Łódź, Kraków i Gdańsk: {POLISH_LOWER}{POLISH_UPPER}.",
            # Several paragraphs, a 4-byte character and a decomposed "é"
            # (e + U+0301) that must not be normalised on the way through.
            "body": (
                f"Pierwszy akapit: {POLISH_LOWER}.\n\n"
                f"Drugi akapit: {POLISH_UPPER} — „cudzysłów”, 🇵🇱, cafe\u0301.\n"
            ),
            "authors": ["Grzegorz Brzęczyszczykiewicz", "Żaneta Ćwik"],
            "tags": ["współpraca zagraniczna", "zdrowie", "Kazachstan"],
        }

    def test_reflection_lists_services_and_methods(self):
        server = self.start_server()
        services = buf_curl(server, "--list-services", server.url).decode().split()
        for service in (SERVICE, "grpc.health.v1.Health", "grpc.reflection.v1alpha.ServerReflection"):
            self.assertIn(service, services)
        methods = buf_curl(server, "--list-methods", server.url).decode().split()
        for method in CONTENT_METHODS:
            self.assertIn(f"{SERVICE}/{method}", methods)
        self.assertIn("grpc.health.v1.Health/Check", methods)
        self.assert_stops_cleanly(server)

    def test_health_check_reports_serving(self):
        server = self.start_server()
        response, _ = call(server, "grpc.health.v1.Health/Check", {})
        self.assertEqual(response, {"status": "SERVING"})
        self.assert_stops_cleanly(server)

    def test_polish_text_round_trips_byte_for_byte(self):
        server = self.start_server()
        sent = self.polish_article()
        created, raw = call(server, "CreateArticle", {"article": sent, "article_id": "zazolc-gesla-jazn"})
        # buf prints UTF-8 as is: the exact bytes of the title are in the output.
        self.assertIn(sent["title"].encode("utf-8"), raw)
        self.assertEqual(created["name"], "articles/zazolc-gesla-jazn")
        self.assertEqual(created["slug"], "zazolc-gesla-jazn-acelnoszz-acelnoszz")
        self.assertEqual(created["language"], "pl")
        self.assertEqual(created["state"], "STATE_DRAFT")
        self.assertTrue(created["etag"])

        got, raw = call(server, "GetArticle", {"name": "articles/zazolc-gesla-jazn"})
        self.assertIn(sent["body"].split("\n")[0].encode("utf-8"), raw)
        listed, _ = call(server, "ListArticles", {"page_size": 10})
        self.assertEqual([a["name"] for a in listed["articles"]], ["articles/zazolc-gesla-jazn"])
        self.assertNotIn("nextPageToken", listed)

        for response in (created, got, listed["articles"][0]):
            for field in ("title", "lead", "body", "authors", "tags"):
                self.assertEqual(
                    json.dumps(response[field], ensure_ascii=False).encode("utf-8"),
                    json.dumps(sent[field], ensure_ascii=False).encode("utf-8"),
                    f"{field} changed on the way through",
                )
        self.assertEqual(got, created)
        self.assertEqual(listed["articles"][0], created)

        # Every Polish letter, in both cases, transliterated in the slug.
        other, _ = call(server, "CreateArticle", {"article": {"title": f"{POLISH_UPPER} i {POLISH_LOWER}"}})
        self.assertEqual(other["slug"], "acelnoszz-i-acelnoszz")
        self.assertRegex(other["name"], r"^articles/[a-z][a-z0-9-]*$")
        self.assert_stops_cleanly(server)

    def test_publish_schedule_and_search_with_and_without_diacritics(self):
        server = self.start_server()
        article = {
            "title": "Konferencja szpitali w Tałdykorganie",
            "body": "Szpital miejski (Tałdykorgan) i szpital w Białej Podlaskiej planują wspólną konferencję.",
            "tags": ["zdrowie"],
        }
        call(server, "CreateArticle", {"article": article, "article_id": "konferencja"})
        # Drafts are invisible to anonymous readers, as if they did not exist.
        with self.assertRaises(RpcError) as raised:
            call(server, "GetArticle", {"name": "articles/konferencja"}, token=None)
        self.assertEqual(raised.exception.code, "not_found")
        published, _ = call(server, "PublishArticle", {"name": "articles/konferencja"})
        self.assertEqual(published["state"], "STATE_PUBLISHED")
        got, _ = call(server, "GetArticle", {"name": "articles/konferencja"}, token=None)
        self.assertEqual(got["title"], article["title"])

        for query in ("Tałdykorgan", "taldykorgan", "TAŁDYKORGAN", "tałdyk*", "\"wspólną konferencję\""):
            found, _ = call(server, "SearchArticles", {"query": query}, token=None)
            names = [r["article"]["name"] for r in found.get("results", [])]
            self.assertEqual(names, ["articles/konferencja"], query)
            self.assertIn("<mark>", found["results"][0]["snippet"])

        # Scheduled: published two seconds from now with no further call.
        call(server, "CreateArticle", {"article": {"title": "Zapowiedź"}, "article_id": "zapowiedz"})
        at = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 2))
        scheduled, _ = call(server, "PublishArticle", {"name": "articles/zapowiedz", "publish_time": at})
        self.assertEqual(scheduled["state"], "STATE_SCHEDULED")
        listed, _ = call(server, "ListArticles", {}, token=None)
        self.assertEqual([a["name"] for a in listed["articles"]], ["articles/konferencja"])
        time.sleep(3.2)
        listed, _ = call(server, "ListArticles", {"filter": "state = PUBLISHED"}, token=None)
        self.assertEqual([a["name"] for a in listed["articles"]], ["articles/zapowiedz", "articles/konferencja"])
        self.assert_stops_cleanly(server)

    def test_writes_need_an_editor_token(self):
        server = self.start_server()
        for token in (None, "not-a-valid-token"):
            with self.assertRaises(RpcError) as raised:
                call(server, "CreateArticle", {"article": {"title": "Bez uprawnień"}}, token=token)
            self.assertEqual(raised.exception.code, "unauthenticated", raised.exception.stderr)
        listed, _ = call(server, "ListArticles", {})
        self.assertNotIn("articles", listed)
        self.assert_stops_cleanly(server)

    def test_tls_with_buf_curl(self):
        certs = os.path.join(self.tmp, "certs")
        os.makedirs(certs)

        def openssl(*args):
            subprocess.run(["openssl", *args], cwd=certs, check=True, capture_output=True)

        openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=e2e-ca",
                "-keyout", "ca.key", "-out", "ca.pem")
        with open(os.path.join(certs, "san.ext"), "w") as f:
            f.write("subjectAltName=DNS:localhost,IP:127.0.0.1\n")
        openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost", "-keyout", "server.key",
                "-out", "server.csr")
        openssl("x509", "-req", "-days", "1", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
                "-CAcreateserial", "-extfile", "san.ext", "-out", "server.pem")
        server = self.start_server(
            [f"--tls_cert_file={certs}/server.pem", f"--tls_key_file={certs}/server.key"], scheme="https")
        health = buf_curl(server, "--cacert", f"{certs}/ca.pem", f"{server.url}/grpc.health.v1.Health/Check")
        self.assertEqual(json.loads(health)["status"], "SERVING")
        created = json.loads(buf_curl(server, "--cacert", f"{certs}/ca.pem", f"{server.url}/{SERVICE}/CreateArticle",
                                      data={"article": {"title": "Przez TLS"}}))
        self.assertEqual(created["title"], "Przez TLS")
        # Plaintext HTTP/2 to the TLS port fails.
        plain = ContentServer(self.db_path, server.log_path)
        plain.address = server.address
        with self.assertRaises(RpcError):
            buf_curl(plain, f"{plain.url}/grpc.health.v1.Health/Check")
        self.assert_stops_cleanly(server)

    def test_unknown_article_is_not_found(self):
        server = self.start_server()
        with self.assertRaises(RpcError) as raised:
            call(server, "GetArticle", {"name": "articles/nie-ma-takiego"})
        self.assertEqual(raised.exception.code, "not_found", raised.exception.stderr)
        self.assert_stops_cleanly(server)

    def test_sigterm_stops_within_grace_and_articles_survive_restart(self):
        server = self.start_server()
        created, _ = call(server, "CreateArticle", {"article": self.polish_article(), "article_id": "trwaly"})
        self.assert_stops_cleanly(server, signal.SIGTERM)

        restarted = self.start_server()
        got, _ = call(restarted, "GetArticle", {"name": "articles/trwaly"})
        self.assertEqual(got, created)
        listed, _ = call(restarted, "ListArticles", {})
        self.assertEqual(listed["articles"], [created])
        # The same id is still taken after the restart.
        with self.assertRaises(RpcError) as raised:
            call(restarted, "CreateArticle", {"article": {"title": "Inny"}, "article_id": "trwaly"})
        self.assertEqual(raised.exception.code, "already_exists", raised.exception.stderr)
        self.assert_stops_cleanly(restarted, signal.SIGINT)


def main(argv):
    global CONTENT_SERVER, BUF
    rest = [argv[0]]
    args = iter(argv[1:])
    for arg in args:
        if arg in ("--content-server", "--buf"):
            value = next(args, None)
            if value is None:
                sys.exit(f"{arg} needs a path")
            if arg == "--content-server":
                CONTENT_SERVER = value
            else:
                BUF = value
        else:
            rest.append(arg)
    for what, path in (("content-server", CONTENT_SERVER), ("buf", BUF)):
        if not os.access(path, os.X_OK):
            sys.exit(f"{what} not found or not executable: {path}")
    unittest.main(argv=rest, verbosity=2)


if __name__ == "__main__":
    main(sys.argv)
