#!/usr/bin/env python3
"""End-to-end tests of newsdeskctl against the built content-server.

Each test starts the real content-server on 127.0.0.1:0 with a fresh
database and a token file in a temporary directory, reads the chosen port
from its "serving" log line, runs the built newsdeskctl binary against it
and stops the server at the end.

Usage:
  newsdeskctl_e2e.py --content-server PATH --newsdeskctl PATH [unittest arguments]
The paths may also come from the CONTENT_SERVER and NEWSDESKCTL environment
variables. Python 3 standard library only.
"""

import hashlib
import json
import os
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time
import unittest
import zlib

REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
CONTENT_SERVER = os.environ.get("CONTENT_SERVER", os.path.join(REPO_ROOT, "build", "services", "content", "content-server"))
NEWSDESKCTL = os.environ.get("NEWSDESKCTL", os.path.join(REPO_ROOT, "build", "tools", "newsdeskctl", "newsdeskctl"))

START_TIMEOUT_S = 30
CALL_TIMEOUT_S = 60
EDITOR_TOKEN = "ctl-e2e-editor-token-4b7e"

# Exit codes (gRPC status codes, and sysexits for command-line mistakes).
OK, INVALID_ARGUMENT, NOT_FOUND, ALREADY_EXISTS = 0, 3, 5, 6
UNAVAILABLE, UNAUTHENTICATED, USAGE, NO_INPUT = 14, 16, 64, 66

POLISH_LOWER = "ąćęłńóśźż"
POLISH_UPPER = "ĄĆĘŁŃÓŚŹŻ"

# Article fields the server assigns on every write: an import cannot carry
# them over. publishTime is compared for scheduled articles only (a published
# article is published again, at import time).
SERVER_ASSIGNED = ("createTime", "updateTime", "deleteTime", "etag", "revisionId", "revisionCreateTime")


def tiny_png(width, height):
    """An RGB PNG made with the standard library (a gradient, so it is not blank)."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    rows = b"".join(
        b"\x00" + b"".join(bytes((x * 15 % 256, y * 20 % 256, 128)) for x in range(width)) for y in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


class ContentServer:
    """One content-server process with its output captured to a file."""

    def __init__(self, tmp, name, extra_args=()):
        self.db_path = os.path.join(tmp, name)
        self.log_path = os.path.join(tmp, f"{name}.log")
        self.tokens_path = os.path.join(tmp, f"{name}.tokens")
        digest = hashlib.sha256(EDITOR_TOKEN.encode()).hexdigest()
        with open(self.tokens_path, "w", encoding="ascii") as f:
            f.write(f"sha256:{digest} editor ctl-e2e\n")
        self.extra_args = list(extra_args)
        self.process = None
        self.address = None
        self._log = None

    def start(self):
        self._log = open(self.log_path, "ab")
        self.process = subprocess.Popen(
            [
                CONTENT_SERVER,
                "--listen=127.0.0.1:0",
                f"--db_path={self.db_path}",
                "--shutdown_grace=2s",
                f"--auth_tokens_file={self.tokens_path}",
                "--log_calls=false",
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
                raise AssertionError(f"content-server exited with {self.process.returncode}:\n{self.log()}")
            time.sleep(0.05)
        raise AssertionError(f"content-server did not start within {START_TIMEOUT_S} s:\n{self.log()}")

    def _serving_address(self):
        with open(self.log_path, "rb") as f:
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

    def stop(self):
        """SIGTERM, then wait; returns the exit code."""
        if self.process is None or self.process.poll() is not None:
            return self.process.returncode if self.process else None
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=20)
        finally:
            self.kill()

    def kill(self):
        """Last resort (tearDown): never leave a server behind."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        if self._log is not None:
            self._log.close()
            self._log = None


class Result:
    def __init__(self, completed):
        self.code = completed.returncode
        self.stdout = completed.stdout
        self.stderr = completed.stderr

    @property
    def text(self):
        return self.stdout.decode("utf-8")

    def json(self):
        """The single JSON object on stdout."""
        return json.loads(self.stdout.decode("utf-8"))

    def lines(self):
        """One JSON object per stdout line."""
        return [json.loads(line) for line in self.stdout.decode("utf-8").splitlines() if line.strip()]

    def error(self):
        """The JSON error object newsdeskctl printed on stderr (last line)."""
        lines = [line for line in self.stderr.decode("utf-8").splitlines() if line.strip()]
        return json.loads(lines[-1])

    def __repr__(self):
        return (f"exit {self.code}\nstdout: {self.stdout.decode('utf-8', 'replace')}\n"
                f"stderr: {self.stderr.decode('utf-8', 'replace')}")


class NewsdeskctlE2ETest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="newsdeskctl-e2e-")
        self.servers = []

    def tearDown(self):
        for server in self.servers:
            server.kill()
        if not os.environ.get("NEWSDESK_E2E_KEEP_TMP"):
            shutil.rmtree(self.tmp, ignore_errors=True)

    def start_server(self, name="content", extra_args=()):
        server = ContentServer(self.tmp, name, extra_args)
        self.servers.append(server)
        return server.start()

    def stop_server(self, server):
        self.assertEqual(server.stop(), 0, server.log())

    def ctl(self, server, *args, token=EDITOR_TOKEN, stdin=None, env=None, target=True):
        """Runs newsdeskctl against `server` (as the editor unless token is None)."""
        command = [NEWSDESKCTL, *args]
        if target:
            command.append(f"--target={server.address}")
        environment = {k: v for k, v in os.environ.items() if not k.startswith("NEWSDESK_")}
        if token is not None:
            environment["NEWSDESK_TOKEN"] = token
        environment.update(env or {})
        completed = subprocess.run(
            command,
            input=stdin.encode("utf-8") if isinstance(stdin, str) else stdin,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=environment,
            timeout=CALL_TIMEOUT_S,
        )
        return Result(completed)

    def assert_ok(self, result):
        self.assertEqual(result.code, OK, result)
        return result

    def assert_fails(self, result, code, code_name):
        self.assertEqual(result.code, code, result)
        error = result.error()
        self.assertEqual(error["code"], code_name, result)
        self.assertTrue(error["message"], result)
        return error

    def polish_article(self):
        return {
            "title": f"Zażółć gęślą jaźń – {POLISH_UPPER} {POLISH_LOWER}",
            "lead": f"Łódź, Kraków i Gdańsk: {POLISH_LOWER}{POLISH_UPPER}.",
            # A 4-byte character and a decomposed "é" (e + U+0301) that must
            # not be normalised on the way through.
            "body": f"Pierwszy akapit: {POLISH_LOWER}.\n\nDrugi akapit: „cudzysłów”, 🇵🇱, cafe\u0301.\n",
            "authors": ["Grzegorz Brzęczyszczykiewicz", "Żaneta Ćwik"],
            "tags": ["współpraca zagraniczna", "zdrowie"],
        }

    # -----------------------------------------------------------------------

    def test_crud_with_polish_text(self):
        server = self.start_server()
        sent = self.polish_article()
        created = self.assert_ok(self.ctl(server, "create", "article", json.dumps(sent, ensure_ascii=False),
                                          "--id", "zazolc-gesla-jazn"))
        # UTF-8 comes out as is: the exact bytes of the title are in the output.
        self.assertIn(sent["title"].encode("utf-8"), created.stdout)
        article = created.json()
        self.assertEqual(article["name"], "articles/zazolc-gesla-jazn")
        self.assertEqual(article["state"], "STATE_DRAFT")
        for field in ("title", "lead", "body", "authors", "tags"):
            self.assertEqual(article[field], sent[field], field)

        got = self.assert_ok(self.ctl(server, "get", "articles/zazolc-gesla-jazn")).json()
        self.assertEqual(got, article)

        # JSON from stdin and from a file.
        self.assert_ok(self.ctl(server, "create", "article", "-", "--id", "druga",
                                stdin=json.dumps({"title": "Druga: Świętokrzyskie"}, ensure_ascii=False)))
        path = os.path.join(self.tmp, "trzecia.json")
        with open(path, "w", encoding="utf-8") as f:
            json.dump({"title": "Trzecia: Białystok"}, f, ensure_ascii=False)
        self.assert_ok(self.ctl(server, "create", "article", f"@{path}", "--id", "trzecia"))

        listed = self.assert_ok(self.ctl(server, "list", "articles")).lines()
        self.assertEqual([a["name"] for a in listed],
                         ["articles/trzecia", "articles/druga", "articles/zazolc-gesla-jazn"])
        self.assertEqual(listed[2], article)

        # One page at a time: the next token goes to stderr; --all follows it.
        page = self.assert_ok(self.ctl(server, "list", "articles", "--page_size", "2"))
        self.assertEqual(len(page.lines()), 2)
        token = json.loads(page.stderr)["nextPageToken"]
        rest = self.assert_ok(self.ctl(server, "list", "articles", "--page_size", "2", "--page_token", token))
        self.assertEqual([a["name"] for a in rest.lines()], ["articles/zazolc-gesla-jazn"])
        everything = self.assert_ok(self.ctl(server, "list", "articles", "--page_size", "1", "--all"))
        self.assertEqual(everything.lines(), listed)
        self.assertEqual(everything.stderr, b"")

        updated = self.assert_ok(self.ctl(server, "update", "articles/zazolc-gesla-jazn",
                                          json.dumps({"lead": "Nowy lead: źdźbło", "title": "ignored"},
                                                     ensure_ascii=False),
                                          "--update_mask", "lead", "--etag", article["etag"])).json()
        self.assertEqual(updated["lead"], "Nowy lead: źdźbło")
        self.assertEqual(updated["title"], sent["title"])
        # The old etag is stale now.
        stale = self.ctl(server, "update", "articles/zazolc-gesla-jazn", '{"lead": "x"}', "--update_mask", "lead",
                         "--etag", article["etag"])
        self.assert_fails(stale, 10, "ABORTED")

        published = self.assert_ok(self.ctl(server, "publish", "articles/druga")).json()
        self.assertEqual(published["state"], "STATE_PUBLISHED")
        anonymous = self.assert_ok(self.ctl(server, "list", "articles", token=None)).lines()
        self.assertEqual([a["name"] for a in anonymous], ["articles/druga"])

        deleted = self.assert_ok(self.ctl(server, "delete", "articles/trzecia")).json()
        self.assertEqual(deleted["state"], "STATE_DELETED")
        names = [a["name"] for a in self.assert_ok(self.ctl(server, "list", "articles")).lines()]
        self.assertNotIn("articles/trzecia", names)
        names = [a["name"] for a in self.assert_ok(self.ctl(server, "list", "articles", "--show_deleted")).lines()]
        self.assertIn("articles/trzecia", names)
        filtered = self.assert_ok(self.ctl(server, "list", "articles", "--filter", "state = PUBLISHED")).lines()
        self.assertEqual([a["name"] for a in filtered], ["articles/druga"])

        # Generic calls and proto field names.
        found = self.assert_ok(self.ctl(server, "call", "ContentService/SearchArticles", '{"query": "świętokrzyskie"}',
                                        "--proto_names")).json()
        self.assertEqual([r["article"]["name"] for r in found["results"]], ["articles/druga"])
        self.assertIn("revision_id", found["results"][0]["article"])
        self.stop_server(server)

    def test_photo_upload_and_download(self):
        server = self.start_server()
        self.assert_ok(self.ctl(server, "create", "gallery", '{"title": "Wizyta w Ałmaty"}', "--id", "almaty"))
        image = os.path.join(self.tmp, "zdjecie.png")
        with open(image, "wb") as f:
            f.write(tiny_png(16, 12))
        uploaded = self.assert_ok(self.ctl(server, "upload", "galleries/almaty", image,
                                           "--alt_text", "Delegacja przed urzędem w Tałdykorganie")).json()
        self.assertEqual(uploaded["contentType"], "image/png")
        self.assertEqual((uploaded["width"], uploaded["height"]), (16, 12))
        with open(image, "rb") as f:
            self.assertEqual(uploaded["sha256"], hashlib.sha256(f.read()).hexdigest())
        out = os.path.join(self.tmp, "pobrane.png")
        self.assert_ok(self.ctl(server, "download", uploaded["name"], out))
        with open(image, "rb") as a, open(out, "rb") as b:
            self.assertEqual(a.read(), b.read())

    def test_export_import_round_trip(self):
        source = self.start_server("source")
        article = self.polish_article()
        self.assert_ok(self.ctl(source, "create", "article", json.dumps(article, ensure_ascii=False), "--id", "szkic"))
        self.assert_ok(self.ctl(source, "create", "article", '{"title": "Opublikowany: Łęczyca", "tags": ["a"]}',
                                "--id", "opublikowany"))
        self.assert_ok(self.ctl(source, "publish", "articles/opublikowany"))
        self.assert_ok(self.ctl(source, "create", "article", '{"title": "Zaplanowany: Żywiec"}', "--id", "zaplanowany"))
        self.assert_ok(self.ctl(source, "publish", "articles/zaplanowany",
                                "--request", '{"publish_time": "2099-01-01T08:00:00Z"}'))
        self.assert_ok(self.ctl(source, "create", "article", '{"title": "Usunięty: Ściana"}', "--id", "usuniety"))
        self.assert_ok(self.ctl(source, "delete", "articles/usuniety"))
        # Same title twice: the second slug gets a suffix, which an import in
        # creation order reproduces.
        self.assert_ok(self.ctl(source, "create", "article", '{"title": "Dwa razy"}', "--id", "pierwszy"))
        self.assert_ok(self.ctl(source, "create", "article", '{"title": "Dwa razy"}', "--id", "drugi"))
        # More than one page of the export's listing is not needed: page size 2
        # makes the export follow tokens.
        exported = self.assert_ok(self.ctl(source, "export", "articles", "--page_size", "2"))
        items = exported.lines()
        self.assertEqual(len(items), 6)
        self.assertIn("STATE_DELETED", [i["state"] for i in items])
        export_path = os.path.join(self.tmp, "articles.jsonl")
        with open(export_path, "wb") as f:
            f.write(exported.stdout)

        target = self.start_server("target")
        imported = self.assert_ok(self.ctl(target, "import", "articles", export_path))
        self.assertEqual(imported.json(), {"imported": 6, "skipped": 0})
        again = self.assert_ok(self.ctl(target, "export", "articles")).lines()

        def comparable(item):
            kept = {k: v for k, v in item.items() if k not in SERVER_ASSIGNED}
            if item["state"] != "STATE_SCHEDULED":
                kept.pop("publishTime", None)
            return kept

        self.assertEqual([comparable(i) for i in again], [comparable(i) for i in items])
        by_name = {i["name"]: i for i in again}
        self.assertEqual(by_name["articles/zaplanowany"]["publishTime"], "2099-01-01T08:00:00Z")
        self.assertEqual(by_name["articles/drugi"]["slug"], "dwa-razy-2")
        self.assertEqual(by_name["articles/szkic"]["body"], article["body"])

        # Importing the same file again: ALREADY_EXISTS on its first line;
        # --skip_existing passes over what is there.
        error = self.assert_fails(self.ctl(target, "import", "articles", export_path), ALREADY_EXISTS, "ALREADY_EXISTS")
        self.assertEqual(error["line"], 1)
        skipped = self.assert_ok(self.ctl(target, "import", "articles", "--skip_existing", stdin=exported.stdout))
        self.assertEqual(skipped.json(), {"imported": 0, "skipped": 6})
        self.stop_server(source)
        self.stop_server(target)

    def test_import_errors_name_the_line(self):
        server = self.start_server()
        lines = [
            json.dumps({"name": "articles/dobry", "title": "Dobry wiersz"}),
            "",
            json.dumps({"name": "articles/pusty-tytul", "title": ""}),
            json.dumps({"name": "articles/nastepny", "title": "Nie dojdzie do niego"}),
        ]
        result = self.ctl(server, "import", "articles", "-", stdin="\n".join(lines) + "\n")
        error = self.assert_fails(result, INVALID_ARGUMENT, "INVALID_ARGUMENT")
        self.assertEqual(error["line"], 3)
        self.assertTrue(error["message"].startswith("line 3: "), error)
        self.assertIn("title", error["message"])
        # The lines before the failure were imported; none after it.
        self.assert_ok(self.ctl(server, "get", "articles/dobry"))
        self.assert_fails(self.ctl(server, "get", "articles/nastepny"), NOT_FOUND, "NOT_FOUND")

        broken = self.ctl(server, "import", "articles", stdin='{"title": "ok"}\n{"title": "bez końca\n')
        self.assertEqual(self.assert_fails(broken, INVALID_ARGUMENT, "INVALID_ARGUMENT")["line"], 2)
        wrong = self.ctl(server, "import", "articles", stdin='{"name": "events/e1", "title": "x"}\n')
        self.assertEqual(self.assert_fails(wrong, INVALID_ARGUMENT, "INVALID_ARGUMENT")["line"], 1)
        missing = self.ctl(server, "import", "articles", os.path.join(self.tmp, "nie-ma.jsonl"))
        self.assert_fails(missing, NO_INPUT, "NO_INPUT")
        self.stop_server(server)

    def test_exit_codes(self):
        server = self.start_server()
        self.assert_fails(self.ctl(server, "get", "articles/nie-ma-takiego"), NOT_FOUND, "NOT_FOUND")
        for token in (None, "not-a-valid-token"):
            result = self.ctl(server, "create", "article", '{"title": "Bez uprawnień"}', token=token)
            self.assert_fails(result, UNAUTHENTICATED, "UNAUTHENTICATED")
        self.assert_fails(self.ctl(server, "create", "article", '{"title": ""}'), INVALID_ARGUMENT, "INVALID_ARGUMENT")
        self.assert_fails(self.ctl(server, "create", "article", '{"title": '), INVALID_ARGUMENT, "INVALID_ARGUMENT")
        self.assert_fails(self.ctl(server, "get", "articles/BAD ID"), INVALID_ARGUMENT, "INVALID_ARGUMENT")
        self.assert_ok(self.ctl(server, "create", "article", '{"title": "A"}', "--id", "x"))
        self.assert_fails(self.ctl(server, "create", "article", '{"title": "B"}', "--id", "x"), ALREADY_EXISTS,
                          "ALREADY_EXISTS")
        # Command-line mistakes: 64, before any call.
        self.assert_fails(self.ctl(server, "frobnicate"), USAGE, "USAGE")
        self.assert_fails(self.ctl(server, "get", "articles/x", "--colour=red"), USAGE, "USAGE")
        self.assert_fails(self.ctl(server, "list", "widgets"), USAGE, "USAGE")
        self.assert_fails(self.ctl(server, "call", "ContentService/Nope"), USAGE, "USAGE")
        help_text = self.assert_ok(self.ctl(server, "--help", target=False)).text
        self.assertIn("64", help_text)
        self.assertIn("EX_USAGE", help_text)
        # The token from a file.
        token_file = os.path.join(self.tmp, "token")
        with open(token_file, "w", encoding="ascii") as f:
            f.write(EDITOR_TOKEN + "\n")
        self.assert_ok(self.ctl(server, "create", "article", '{"title": "Z pliku"}', "--token_file", token_file,
                                token=None))
        # Nobody listening any more.
        self.stop_server(server)
        self.assert_fails(self.ctl(server, "get", "articles/x", "--timeout", "5s"), UNAVAILABLE, "UNAVAILABLE")

    def test_tls_and_mutual_tls(self):
        certs = os.path.join(self.tmp, "certs")
        os.makedirs(certs)

        def openssl(*args):
            subprocess.run(["openssl", *args], cwd=certs, check=True, capture_output=True)

        openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=ctl-e2e-ca",
                "-keyout", "ca.key", "-out", "ca.pem")
        # The server's certificate names only newsdesk.internal: connecting to
        # 127.0.0.1 needs --tls_server_name.
        with open(os.path.join(certs, "server.ext"), "w") as f:
            f.write("subjectAltName=DNS:newsdesk.internal\n")
        openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=newsdesk.internal", "-keyout", "server.key",
                "-out", "server.csr")
        openssl("x509", "-req", "-days", "1", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
                "-CAcreateserial", "-extfile", "server.ext", "-out", "server.pem")
        with open(os.path.join(certs, "client.ext"), "w") as f:
            f.write("extendedKeyUsage=clientAuth\n")
        openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=ctl-e2e-client", "-keyout", "client.key",
                "-out", "client.csr")
        openssl("x509", "-req", "-days", "1", "-in", "client.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
                "-CAcreateserial", "-extfile", "client.ext", "-out", "client.pem")

        server = self.start_server("tls", [f"--tls_cert_file={certs}/server.pem", f"--tls_key_file={certs}/server.key",
                                           f"--tls_client_ca_file={certs}/ca.pem"])
        tls = ["--tls_ca_file", f"{certs}/ca.pem", "--tls_server_name", "newsdesk.internal"]
        client = ["--tls_cert_file", f"{certs}/client.pem", "--tls_key_file", f"{certs}/client.key"]
        created = self.assert_ok(self.ctl(server, "create", "article", '{"title": "Przez mTLS: żółw"}', *tls, *client))
        self.assertEqual(created.json()["title"], "Przez mTLS: żółw")
        # Without a client certificate, with plaintext, or with a name the
        # certificate does not carry, there is no connection.
        self.assert_fails(self.ctl(server, "list", "articles", *tls, "--timeout", "5s"), UNAVAILABLE, "UNAVAILABLE")
        self.assert_fails(self.ctl(server, "list", "articles", "--timeout", "5s"), UNAVAILABLE, "UNAVAILABLE")
        wrong_name = self.ctl(server, "list", "articles", "--tls_ca_file", f"{certs}/ca.pem", *client, "--timeout", "5s")
        self.assert_fails(wrong_name, UNAVAILABLE, "UNAVAILABLE")
        self.assert_fails(self.ctl(server, "list", "articles", "--tls_ca_file", f"{certs}/nie-ma.pem"), NO_INPUT,
                          "NO_INPUT")
        self.stop_server(server)


def main(argv):
    global CONTENT_SERVER, NEWSDESKCTL
    rest = [argv[0]]
    args = iter(argv[1:])
    for arg in args:
        if arg in ("--content-server", "--newsdeskctl"):
            value = next(args, None)
            if value is None:
                sys.exit(f"{arg} needs a path")
            if arg == "--content-server":
                CONTENT_SERVER = value
            else:
                NEWSDESKCTL = value
        else:
            rest.append(arg)
    for what, path in (("content-server", CONTENT_SERVER), ("newsdeskctl", NEWSDESKCTL)):
        if not os.access(path, os.X_OK):
            sys.exit(f"{what} not found or not executable: {path}")
    unittest.main(argv=rest, verbosity=2)


if __name__ == "__main__":
    main(sys.argv)
