#!/usr/bin/env python3
"""End-to-end tests of photo upload and download with the built content-server.

Each test starts the real binary on 127.0.0.1:0 with a fresh database in a
temporary directory and talks to it with Python grpcio (Debian
python3-grpcio). The request and response classes are built at run time
from a descriptor set that protoc makes of proto/, so no generated Python
code is checked in. Test images are PNGs written by this script (zlib and
struct from the standard library).

The central test kills the server with SIGKILL in the middle of an upload,
restarts it on the same database, and checks that no trace of the partial
photo is left: not through the API, and not in any file of the database
directory (the image carries a unique marker string that is searched for;
a completed upload of the same kind of image proves the search finds it).

Usage:
  photos_e2e.py [--content-server PATH] [--protoc PATH] [--proto-root DIR]
                [unittest arguments]
"""

import argparse
import hashlib
import json
import os
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import zlib

import grpc
from google.protobuf import descriptor_pb2, message_factory

REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
ARGS = argparse.Namespace(
    content_server=os.environ.get(
        "CONTENT_SERVER", os.path.join(REPO_ROOT, "build", "services", "content", "content-server")),
    protoc=os.environ.get("PROTOC", "protoc"),
    proto_root=os.path.join(REPO_ROOT, "proto"),
)
SERVICE = "/newsdesk.content.v1.ContentService/"
START_TIMEOUT_S = 30
CALL_TIMEOUT_S = 60
CHUNK = 1 << 20

M = {}  # message classes by full name, filled in setUpModule


def setUpModule():
    work = tempfile.mkdtemp(prefix="newsdesk-photos-e2e-desc-")
    try:
        out = os.path.join(work, "content.desc")
        subprocess.run(
            [ARGS.protoc, "--include_imports", f"--descriptor_set_out={out}", f"-I{ARGS.proto_root}",
             "newsdesk/content/v1/content_service.proto"],
            check=True)
        fds = descriptor_pb2.FileDescriptorSet()
        with open(out, "rb") as f:
            fds.ParseFromString(f.read())
        M.update(message_factory.GetMessages(list(fds.file)))
    finally:
        shutil.rmtree(work, ignore_errors=True)


def msg(type_name, **fields):
    return M["newsdesk.content.v1." + type_name](**fields)


def png(width, height, noise=False, comment=None):
    """An RGB PNG: a gradient, or random pixels that do not compress."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xffffffff)

    if noise:
        raw = b"".join(b"\x00" + os.urandom(3 * width) for _ in range(height))
    else:
        raw = b"".join(
            b"\x00" + bytes(v for x in range(width) for v in (x * 255 // max(width - 1, 1), y * 255 // max(height - 1, 1), 128))
            for y in range(height))
    out = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
    if comment is not None:
        out += chunk(b"tEXt", b"Comment\x00" + comment)
    out += chunk(b"IDAT", zlib.compress(raw, 1)) + chunk(b"IEND", b"")
    return out


def png_size(data):
    return struct.unpack(">II", data[16:24])


# The editor token the tests call with; the server gets only its SHA-256.
EDITOR_TOKEN = "photos-e2e-editor-token-3c9e"


class _BearerToken(grpc.UnaryUnaryClientInterceptor, grpc.UnaryStreamClientInterceptor,
                   grpc.StreamUnaryClientInterceptor, grpc.StreamStreamClientInterceptor):
    """Adds the editor's bearer token to every call."""

    def _with_token(self, details):
        metadata = list(details.metadata or []) + [("authorization", f"Bearer {EDITOR_TOKEN}")]
        return details._replace(metadata=metadata) if hasattr(details, "_replace") else _Details(details, metadata)

    def intercept_unary_unary(self, continuation, details, request):
        return continuation(self._with_token(details), request)

    def intercept_unary_stream(self, continuation, details, request):
        return continuation(self._with_token(details), request)

    def intercept_stream_unary(self, continuation, details, requests):
        return continuation(self._with_token(details), requests)

    def intercept_stream_stream(self, continuation, details, requests):
        return continuation(self._with_token(details), requests)


class _Details(grpc.ClientCallDetails):
    def __init__(self, details, metadata):
        self.method = details.method
        self.timeout = details.timeout
        self.metadata = metadata
        self.credentials = details.credentials
        self.wait_for_ready = getattr(details, "wait_for_ready", None)
        self.compression = getattr(details, "compression", None)


class ContentServer:
    """One content-server process; its stderr goes to a log file."""

    def __init__(self, db_path, log_path):
        self.db_path = db_path
        self.log_path = log_path
        self.process = None
        self.address = None
        self.channel = None

    def start(self):
        log = open(self.log_path, "ab")
        offset = log.tell()
        tokens = self.db_path.rstrip("/") + ".tokens"
        with open(tokens, "w", encoding="ascii") as f:
            f.write(f"sha256:{hashlib.sha256(EDITOR_TOKEN.encode()).hexdigest()} editor photos-e2e\n")
        self.process = subprocess.Popen(
            [ARGS.content_server, "--listen", "127.0.0.1:0", "--db_path", self.db_path, "--shutdown_grace", "2s",
             "--auth_tokens_file", tokens],
            stdout=log, stderr=log)
        log.close()
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            with open(self.log_path, "rb") as f:
                f.seek(offset)
                for line in f.read().decode("utf-8", "replace").splitlines():
                    try:
                        entry = json.loads(line)
                    except ValueError:
                        continue
                    if entry.get("message") == "serving":
                        self.address = entry["address"]
                        raw = grpc.insecure_channel(self.address)
                        grpc.channel_ready_future(raw).result(timeout=START_TIMEOUT_S)
                        self.channel = grpc.intercept_channel(raw, _BearerToken())
                        return
            if self.process.poll() is not None:
                raise RuntimeError(f"content-server exited with {self.process.returncode}; see {self.log_path}")
            time.sleep(0.05)
        raise RuntimeError("content-server did not start serving in time")

    def kill9(self):
        if self.channel is not None:
            self.channel.close()
            self.channel = None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self):
        if self.channel is not None:
            self.channel.close()
            self.channel = None
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def unary(self, method, request, response):
        call = self.channel.unary_unary(SERVICE + method, request_serializer=lambda m: m.SerializeToString(),
                                        response_deserializer=M["newsdesk.content.v1." + response].FromString)
        return call(request, timeout=CALL_TIMEOUT_S)

    def upload_call(self):
        return self.channel.stream_unary(SERVICE + "UploadPhoto", request_serializer=lambda m: m.SerializeToString(),
                                         response_deserializer=M["newsdesk.content.v1.Photo"].FromString)

    def upload(self, gallery, photo_id, data, chunk=CHUNK):
        def messages():
            yield msg("UploadPhotoRequest", metadata=msg(
                "UploadPhotoMetadata", parent=gallery, photo_id=photo_id,
                photo=msg("Photo", alt_text="Zdjęcie testowe", credit="Biuro prasowe")))
            for at in range(0, len(data), chunk):
                yield msg("UploadPhotoRequest", chunk_data=data[at:at + chunk])
        return self.upload_call()(messages(), timeout=CALL_TIMEOUT_S)

    def download(self, name, rendition="", offset=0):
        call = self.channel.unary_stream(SERVICE + "DownloadPhoto", request_serializer=lambda m: m.SerializeToString(),
                                         response_deserializer=M["newsdesk.content.v1.DownloadPhotoResponse"].FromString)
        photo, data = None, bytearray()
        for i, part in enumerate(call(msg("DownloadPhotoRequest", name=name, rendition=rendition, offset=offset),
                                      timeout=CALL_TIMEOUT_S)):
            if i == 0:
                photo = part.photo
            else:
                data += part.chunk_data
        return photo, bytes(data)


class PhotosE2E(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="newsdesk-photos-e2e-")
        self.db = os.path.join(self.dir, "db")
        self.log = os.path.join(self.dir, "server.log")
        self.server = ContentServer(self.db, self.log)
        self.server.start()

    def tearDown(self):
        self.server.stop()
        if os.environ.get("NEWSDESK_KEEP_E2E_DIRS"):
            print(f"kept {self.dir}", file=sys.stderr)
        else:
            shutil.rmtree(self.dir, ignore_errors=True)

    def create_gallery(self, gallery_id):
        return self.server.unary("CreateGallery", msg("CreateGalleryRequest", gallery=msg("Gallery", title="Ałmaty"),
                                                      gallery_id=gallery_id), "Gallery")

    def db_files_containing(self, needle):
        found = []
        for root, _, files in os.walk(self.db):
            for name in files:
                with open(os.path.join(root, name), "rb") as f:
                    if needle in f.read():
                        found.append(name)
        return found

    def test_upload_download_round_trip_with_renditions(self):
        self.create_gallery("almaty")
        data = png(800, 500)
        photo = self.server.upload("galleries/almaty", "p1", data, chunk=64 << 10)
        self.assertEqual(photo.name, "galleries/almaty/photos/p1")
        self.assertEqual(photo.content_type, "image/png")
        self.assertEqual((photo.width, photo.height), (800, 500))
        self.assertEqual(photo.sha256, hashlib.sha256(data).hexdigest())
        got, body = self.server.download(photo.name)
        self.assertEqual(got.sha256, photo.sha256)
        self.assertEqual(body, data)
        _, thumb = self.server.download(photo.name, "thumbnail")
        self.assertEqual(png_size(thumb), (320, 200))
        _, medium = self.server.download(photo.name, "medium")
        self.assertEqual(png_size(medium), (800, 500))  # not enlarged
        _, tail = self.server.download(photo.name, "", 1000)
        self.assertEqual(tail, data[1000:])

    def test_text_file_named_photo_jpg_is_invalid_argument(self):
        self.create_gallery("g")
        with self.assertRaises(grpc.RpcError) as raised:
            self.server.upload("galleries/g", "photo-jpg", b"just some text, saved as photo.jpg\n" * 100)
        self.assertEqual(raised.exception.code(), grpc.StatusCode.INVALID_ARGUMENT)
        self.assertIn("photo", raised.exception.details())

    def test_kill_9_during_upload_leaves_no_trace(self):
        self.create_gallery("g")
        marker = b"NEWSDESK-KILL9-" + os.urandom(8).hex().encode()
        data = png(1200, 1000, noise=True, comment=marker)
        self.assertGreater(len(data), 3 * CHUNK)
        self.assertIn(marker, data[:CHUNK])

        sent = threading.Event()
        release = threading.Event()

        def partial():
            yield msg("UploadPhotoRequest", metadata=msg(
                "UploadPhotoMetadata", parent="galleries/g", photo_id="partial",
                photo=msg("Photo", alt_text="Przerwane przesyłanie")))
            for at in range(0, 2 * CHUNK, CHUNK):
                yield msg("UploadPhotoRequest", chunk_data=data[at:at + CHUNK])
            sent.set()
            release.wait(60)  # the rest never comes: the server dies first

        future = self.server.upload_call().future(partial(), timeout=CALL_TIMEOUT_S)
        self.assertTrue(sent.wait(30))
        time.sleep(0.5)  # let the server take in what was sent
        self.server.kill9()
        release.set()
        with self.assertRaises(grpc.RpcError):
            future.result(timeout=30)

        self.server.start()
        with self.assertRaises(grpc.RpcError) as raised:
            self.server.unary("GetPhoto", msg("GetPhotoRequest", name="galleries/g/photos/partial"), "Photo")
        self.assertEqual(raised.exception.code(), grpc.StatusCode.NOT_FOUND)
        listed = self.server.unary("ListPhotos", msg("ListPhotosRequest", parent="galleries/g"), "ListPhotosResponse")
        self.assertEqual(len(listed.photos), 0)
        gallery = self.server.unary("GetGallery", msg("GetGalleryRequest", name="galleries/g"), "Gallery")
        self.assertEqual(gallery.photo_count, 0)
        self.assertEqual(self.db_files_containing(marker), [])
        self.assertEqual([f for f in os.listdir(self.db) if f.endswith(".blob")], [])

        # The same upload, completed, is found on disk: the search above is
        # not blind. And the id the killed upload wanted is free.
        photo = self.server.upload("galleries/g", "partial", data)
        self.assertEqual(photo.sha256, hashlib.sha256(data).hexdigest())
        self.server.stop()
        self.assertNotEqual(self.db_files_containing(marker), [])
        self.server.start()
        _, body = self.server.download(photo.name)
        self.assertEqual(body, data)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--content-server", default=ARGS.content_server)
    parser.add_argument("--protoc", default=ARGS.protoc)
    parser.add_argument("--proto-root", default=ARGS.proto_root)
    args, rest = parser.parse_known_args()
    ARGS.content_server, ARGS.protoc, ARGS.proto_root = args.content_server, args.protoc, args.proto_root
    unittest.main(argv=[sys.argv[0]] + rest, verbosity=2)


if __name__ == "__main__":
    main()
