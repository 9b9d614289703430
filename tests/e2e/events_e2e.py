#!/usr/bin/env python3
"""End-to-end test of the built events-server and content-server, called with
`buf curl` through gRPC server reflection.

The test starts both binaries on 127.0.0.1:0 with fresh databases in a
temporary directory (events-server's --content_target pointing at the
content server it started), loads the demo article and the demo event
(scripts/demo/), and walks the May 2018 conference through the API: list it
by a time window, export it and parse the .ics with Debian's
python3-icalendar, confirm it with exact times, cancel it, and watch the
changes (live and resumed from a token). Both servers are stopped by the test.

Usage:
  events_e2e.py --content-server PATH --events-server PATH --buf PATH [unittest args]
Needs /usr/bin/python3 with python3-icalendar (apt-get install python3-icalendar).
"""

import argparse
import base64
import datetime
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import unittest

REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
DEMO_ARTICLE = os.path.join(REPO_ROOT, "scripts", "demo", "03-wizyta-w-obwodzie-almatynskim.json")
DEMO_EVENT = os.path.join(REPO_ROOT, "scripts", "demo", "events", "01-konferencja-szpitali-maj-2018.json")
EVENTS = "newsdesk.events.v1.EventsService"
CONTENT = "newsdesk.content.v1.ContentService"
START_TIMEOUT_S = 30
SHUTDOWN_LIMIT_S = 8.0
CALL_TIMEOUT_S = 60

ARGS = argparse.Namespace(content_server=None, events_server=None, buf=None)

try:
    import icalendar  # Debian: python3-icalendar
except ImportError:  # pragma: no cover - reported by the test below
    icalendar = None


class RpcError(Exception):
    def __init__(self, returncode, stdout, stderr):
        super().__init__(f"buf curl exited {returncode}: {stderr.decode('utf-8', 'replace').strip()}")
        self.stdout = stdout
        self.stderr = stderr

    @property
    def code(self):
        match = re.search(rb'"code":\s*"([a-z_]+)"', self.stderr)
        return match.group(1).decode() if match else None


class Server:
    """One server process, its stderr in a log file; the address comes from
    its "serving" log line."""

    def __init__(self, name, argv, log_path):
        self.name = name
        self.argv = argv
        self.log_path = log_path
        self.process = None
        self.address = None

    def start(self):
        self._log = open(self.log_path, "ab")
        self.process = subprocess.Popen(self.argv, stdin=subprocess.DEVNULL, stdout=self._log, stderr=self._log)
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            with open(self.log_path, "rb") as f:
                for line in f:
                    try:
                        entry = json.loads(line)
                    except ValueError:
                        continue
                    if entry.get("message") == "serving":
                        self.address = entry["address"]
                        return self
            if self.process.poll() is not None:
                raise AssertionError(f"{self.name} exited with {self.process.returncode}:\n{self.log()}")
            time.sleep(0.05)
        raise AssertionError(f"{self.name} did not log 'serving' in {START_TIMEOUT_S} s:\n{self.log()}")

    def log(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def stop(self):
        """SIGTERM; returns (exit code, seconds until exit)."""
        begin = time.monotonic()
        self.process.send_signal(signal.SIGTERM)
        try:
            code = self.process.wait(timeout=SHUTDOWN_LIMIT_S + 10)
        except subprocess.TimeoutExpired:
            code = None
        elapsed = time.monotonic() - begin
        self._log.close()
        return code, elapsed

    def kill(self):
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        if not self._log.closed:
            self._log.close()

    @property
    def url(self):
        return f"http://{self.address}"


# Tokens: the tests call as an editor; events-server checks articles with its
# own service-role token. The servers get only SHA-256 hashes.
EDITOR_TOKEN = "e2e-editor-token-5a0c"
SERVICE_TOKEN = "e2e-events-service-token-91d2"


def write_token_file(path):
    with open(path, "w", encoding="ascii") as f:
        for token, role, subject in ((EDITOR_TOKEN, "editor", "e2e"), (SERVICE_TOKEN, "service", "events-server")):
            f.write(f"sha256:{hashlib.sha256(token.encode()).hexdigest()} {role} {subject}\n")
    return path


def buf_command(*args):
    return [ARGS.buf, "curl", "--protocol", "grpc", "--http2-prior-knowledge",
            "-H", f"authorization: Bearer {EDITOR_TOKEN}", *args]


def call(server, method, request, timeout="20s"):
    """Calls "Service/Method" with a JSON request; returns the JSON response."""
    result = subprocess.run(
        buf_command("--timeout", timeout, "-d", "@-", f"{server.url}/{method}"),
        input=json.dumps(request, ensure_ascii=False).encode("utf-8"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        timeout=CALL_TIMEOUT_S,
    )
    if result.returncode != 0:
        raise RpcError(result.returncode, result.stdout, result.stderr)
    return json.loads(result.stdout.decode("utf-8"))


def parse_stream(text):
    """buf curl prints each streamed message as one JSON document."""
    decoder = json.JSONDecoder()
    messages, pos = [], 0
    while True:
        while pos < len(text) and text[pos].isspace():
            pos += 1
        if pos >= len(text):
            return messages
        try:
            message, pos = decoder.raw_decode(text, pos)
        except ValueError:
            return messages  # a message still being written
        messages.append(message)


class Watcher:
    """A `buf curl` WatchEvents stream read in the background."""

    def __init__(self, server, request):
        # A session of its own: npm's `buf` is a Node wrapper around the Go
        # binary, and stopping the wrapper alone would leave the stream open.
        self.process = subprocess.Popen(
            buf_command("--timeout", "120s", "-d", json.dumps(request), f"{server.url}/{EVENTS}/WatchEvents"),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
        self._out = b""
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self):
        for chunk in iter(lambda: self.process.stdout.read1(4096), b""):
            with self._lock:
                self._out += chunk

    def messages(self):
        with self._lock:
            return parse_stream(self._out.decode("utf-8", "replace"))

    def wait_for(self, predicate, timeout=20):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            messages = self.messages()
            if predicate(messages):
                return messages
            if self.process.poll() is not None:
                break
            time.sleep(0.05)
        raise AssertionError(
            f"watch stream did not reach the expected state; got {self.messages()}\n"
            f"stderr: {self.process.stderr.read().decode('utf-8', 'replace') if self.process.poll() is not None else ''}"
        )

    def stop(self):
        """Ends the stream: the whole process group (wrapper and buf)."""
        for sig in (signal.SIGTERM, signal.SIGKILL):
            try:
                os.killpg(self.process.pid, sig)
            except ProcessLookupError:
                break
            try:
                self.process.wait(timeout=10)
                break
            except subprocess.TimeoutExpired:
                continue
        self._thread.join(timeout=10)
        if not self._thread.is_alive():
            self.process.stdout.close()
        self.process.stderr.close()


def changes(messages):
    return [m for m in messages if m.get("type") != "TYPE_BOOKMARK"]


def export(server, request):
    response = call(server, f"{EVENTS}/ExportEvents", request)
    assert response["contentType"] == "text/calendar; charset=utf-8", response
    data = base64.b64decode(response["data"])
    return data, icalendar.Calendar.from_ical(data)


class EventsServerE2ETest(unittest.TestCase):
    def setUp(self):
        self.assertIsNotNone(icalendar, "python3-icalendar is not installed (apt-get install python3-icalendar)")
        self.tmp = tempfile.mkdtemp(prefix="newsdesk-events-e2e-")
        os.environ["BUF_CACHE_DIR"] = os.path.join(self.tmp, "buf-cache")
        self.servers = []
        self.watchers = []
        self.tokens = write_token_file(os.path.join(self.tmp, "tokens"))
        self.content_token = os.path.join(self.tmp, "content-token")
        with open(self.content_token, "w", encoding="ascii") as f:
            f.write(SERVICE_TOKEN + "\n")
        self.content = self.start(
            "content-server",
            [ARGS.content_server, "--listen=127.0.0.1:0", f"--db_path={self.tmp}/content", "--shutdown_grace=2s",
             f"--auth_tokens_file={self.tokens}"],
        )
        self.events = self.start_events()

    def start_events(self):
        return self.start(
            "events-server",
            [
                ARGS.events_server,
                "--listen=127.0.0.1:0",
                f"--db_path={self.tmp}/events",
                f"--content_target={self.content.address}",
                f"--auth_tokens_file={self.tokens}",
                f"--content_token_file={self.content_token}",
                "--content_deadline=2s",
                "--shutdown_grace=1s",
            ],
        )

    def start(self, name, argv):
        server = Server(name, argv, os.path.join(self.tmp, f"{name}-{len(self.servers)}.log"))
        self.servers.append(server)
        return server.start()

    def tearDown(self):
        for watcher in self.watchers:
            watcher.stop()
        for server in self.servers:
            server.kill()
        if not os.environ.get("NEWSDESK_E2E_KEEP_TMP"):
            shutil.rmtree(self.tmp, ignore_errors=True)

    def watch(self, request):
        watcher = Watcher(self.events, request)
        self.watchers.append(watcher)
        return watcher

    def assert_stops_cleanly(self, server):
        code, elapsed = server.stop()
        self.assertEqual(code, 0, f"{server.name} exit code after SIGTERM:\n{server.log()}")
        self.assertLess(elapsed, SHUTDOWN_LIMIT_S, f"{server.name} took {elapsed:.1f} s to stop")
        self.assertIn('"message":"stopped"', server.log())

    def load_demo(self):
        with open(DEMO_ARTICLE, encoding="utf-8") as f:
            article = call(self.content, f"{CONTENT}/CreateArticle", json.load(f))
        with open(DEMO_EVENT, encoding="utf-8") as f:
            demo_event = json.load(f)
        return article, demo_event

    def test_may_2018_conference_lifecycle(self):
        article, demo_event = self.load_demo()
        self.assertEqual(article["name"], "articles/wizyta-w-obwodzie-almatynskim")
        live = self.watch({})
        live.wait_for(lambda m: len(m) >= 1)
        self.assertEqual(live.messages()[0]["type"], "TYPE_BOOKMARK")

        # Create: "May 2018", no day, linked to the article.
        event = call(self.events, f"{EVENTS}/CreateEvent", demo_event)
        name = "events/konferencja-szpitali-maj-2018"
        self.assertEqual(event["name"], name)
        self.assertEqual(event["status"], "STATUS_PLANNED")
        self.assertEqual(event["schedule"]["precision"], "PRECISION_MONTH")
        self.assertEqual(event["schedule"]["startDate"], {"year": 2018, "month": 5})
        self.assertEqual(event["sourceArticles"], [article["name"]])
        self.assertEqual(event["revision"], "1")

        # List by time window, and by the article that announced it.
        listed = call(self.events, f"{EVENTS}/ListEvents", {"filter": 'start < "2018-06-01" AND end >= "2018-05-01"'})
        self.assertEqual([e["name"] for e in listed["events"]], [name])
        listed = call(self.events, f"{EVENTS}/ListEvents", {"filter": f'source_articles:"{article["name"]}"'})
        self.assertEqual([e["name"] for e in listed["events"]], [name])
        listed = call(self.events, f"{EVENTS}/ListEvents", {"filter": 'start >= "2018-06-01"', "order_by": "start"})
        self.assertNotIn("events", listed)

        # Export and parse with an independent parser.
        data, calendar = export(self.events, {"filter": 'start < "2018-06-01" AND end >= "2018-05-01"'})
        self.assertTrue(data.endswith(b"\r\n"))
        self.assertNotIn(b"\n", data.replace(b"\r\n", b""))
        for line in data.split(b"\r\n"):
            self.assertLessEqual(len(line), 75, line)
        vevents = calendar.walk("VEVENT")
        self.assertEqual(len(vevents), 1)
        vevent = vevents[0]
        self.assertEqual(vevent.decoded("DTSTART"), datetime.date(2018, 5, 1))
        self.assertEqual(vevent.decoded("DTEND"), datetime.date(2018, 6, 1))
        self.assertEqual(str(vevent["STATUS"]), "TENTATIVE")
        self.assertEqual(int(vevent["SEQUENCE"]), 1)
        self.assertEqual(str(vevent["SUMMARY"]), demo_event["event"]["title"])
        self.assertEqual(str(vevent["DESCRIPTION"]), demo_event["event"]["description"])
        uid = str(vevent["UID"])

        # Confirm with exact times in Almaty (UTC+6 in 2018).
        confirmed = call(
            self.events,
            f"{EVENTS}/ConfirmEvent",
            {
                "name": name,
                "etag": event["etag"],
                "schedule": {
                    "precision": "PRECISION_EXACT",
                    "start_time": "2018-05-14T09:00:00+06:00",
                    "end_time": "2018-05-15T17:00:00+06:00",
                    "time_zone": "Asia/Almaty",
                },
            },
        )
        self.assertEqual(confirmed["status"], "STATUS_CONFIRMED")
        self.assertEqual(confirmed["name"], name)
        self.assertEqual(confirmed["schedule"]["startTime"], "2018-05-14T03:00:00Z")
        self.assertEqual(len(confirmed["scheduleHistory"]), 1)
        self.assertEqual(confirmed["scheduleHistory"][0]["schedule"]["precision"], "PRECISION_MONTH")

        # A stale etag is refused.
        with self.assertRaises(RpcError) as stale:
            call(self.events, f"{EVENTS}/CancelEvent", {"name": name, "etag": event["etag"]})
        self.assertEqual(stale.exception.code, "aborted")

        _, calendar = export(self.events, {"names": [name]})
        vevent = calendar.walk("VEVENT")[0]
        start, end = vevent.decoded("DTSTART"), vevent.decoded("DTEND")
        utc = datetime.timezone.utc
        self.assertEqual(start.astimezone(utc), datetime.datetime(2018, 5, 14, 3, 0, tzinfo=utc))
        self.assertEqual(end.astimezone(utc), datetime.datetime(2018, 5, 15, 11, 0, tzinfo=utc))
        self.assertEqual((start.hour, start.minute), (9, 0))  # wall-clock time in Almaty
        self.assertEqual(vevent["DTSTART"].params["TZID"], "Asia/Almaty")
        self.assertEqual([str(c["TZID"]) for c in calendar.walk("VTIMEZONE")], ["Asia/Almaty"])
        self.assertEqual(str(vevent["STATUS"]), "CONFIRMED")
        self.assertEqual(int(vevent["SEQUENCE"]), 2)
        self.assertEqual(str(vevent["UID"]), uid)

        # Cancel.
        cancelled = call(
            self.events, f"{EVENTS}/CancelEvent", {"name": name, "etag": confirmed["etag"], "reason": "Brak sali"}
        )
        self.assertEqual(cancelled["status"], "STATUS_CANCELLED")
        self.assertEqual(cancelled["statusReason"], "Brak sali")
        with self.assertRaises(RpcError) as refused:
            call(self.events, f"{EVENTS}/CompleteEvent", {"name": name})
        self.assertEqual(refused.exception.code, "failed_precondition")
        self.assertIn("CANCELLED", refused.exception.stderr.decode("utf-8"))
        _, calendar = export(self.events, {"names": [name]})
        self.assertEqual(str(calendar.walk("VEVENT")[0]["STATUS"]), "CANCELLED")

        # The live watch saw every change, in order.
        messages = live.wait_for(lambda m: len(changes(m)) >= 3)
        seen = changes(messages)
        self.assertEqual([c["type"] for c in seen], ["TYPE_CREATED", "TYPE_CONFIRMED", "TYPE_CANCELLED"])
        self.assertEqual([c["event"]["revision"] for c in seen], ["1", "2", "3"])

        # Resuming after the first change gives exactly the later ones, also
        # after a restart of the events server.
        live.stop()
        self.assert_stops_cleanly(self.events)
        self.events = self.start_events()
        resumed = self.watch({"resume_token": seen[0]["resumeToken"]})
        messages = resumed.wait_for(lambda m: len(changes(m)) >= 2)
        self.assertEqual([c["type"] for c in changes(messages)], ["TYPE_CONFIRMED", "TYPE_CANCELLED"])
        time.sleep(0.5)
        self.assertEqual(len(changes(resumed.messages())), 2, "no duplicates")
        resumed.stop()

        self.assert_stops_cleanly(self.events)
        self.assert_stops_cleanly(self.content)

    def test_missing_article_and_unreachable_content_service_store_nothing(self):
        _, demo_event = self.load_demo()
        request = json.loads(json.dumps(demo_event))
        request["event"]["source_articles"] = ["articles/nie-ma-takiego-artykulu"]
        with self.assertRaises(RpcError) as missing:
            call(self.events, f"{EVENTS}/CreateEvent", request)
        self.assertEqual(missing.exception.code, "failed_precondition")
        self.assertIn("articles/nie-ma-takiego-artykulu", missing.exception.stderr.decode("utf-8"))

        self.assert_stops_cleanly(self.content)
        with self.assertRaises(RpcError) as unavailable:
            call(self.events, f"{EVENTS}/CreateEvent", demo_event)
        self.assertEqual(unavailable.exception.code, "unavailable")
        self.assertNotIn("events", call(self.events, f"{EVENTS}/ListEvents", {}))
        self.assert_stops_cleanly(self.events)

    def test_reflection_and_health(self):
        result = subprocess.run(
            buf_command("--list-methods", self.events.url), stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60
        )
        self.assertEqual(result.returncode, 0, result.stderr)
        methods = result.stdout.decode().split()
        for method in ("CreateEvent", "ListEvents", "ExportEvents", "WatchEvents", "ConfirmEvent"):
            self.assertIn(f"{EVENTS}/{method}", methods)
        self.assertEqual(call(self.events, "grpc.health.v1.Health/Check", {}), {"status": "SERVING"})
        self.assertEqual(
            call(self.events, "grpc.health.v1.Health/Check", {"service": EVENTS}), {"status": "SERVING"}
        )
        self.assert_stops_cleanly(self.events)


def main():
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--content-server", default=os.path.join(REPO_ROOT, "build", "services", "content", "content-server"))
    parser.add_argument("--events-server", default=os.path.join(REPO_ROOT, "build", "services", "events", "events-server"))
    parser.add_argument("--buf", default=os.path.join(REPO_ROOT, ".tools", "node_modules", ".bin", "buf"))
    args, rest = parser.parse_known_args()
    ARGS.content_server, ARGS.events_server, ARGS.buf = args.content_server, args.events_server, args.buf
    unittest.main(argv=[sys.argv[0]] + rest, verbosity=2)


if __name__ == "__main__":
    main()
