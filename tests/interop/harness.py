"""Shared plumbing for the interop scripts that tests/fakedc_python.rs runs.

The Rust test starts a fake DC in-process, writes the file to upload, and
runs one script with a JSON job on stdin:

    {
      "dcs": [{"dc_id": 1, "host": "127.0.0.1", "port": 40001,
               "auth_key_hex": "…512 hex digits…"}, …],
      "home_dc": 1,
      "user_id": 1000000001,
      "api_id": 12345,
      "api_hash": "…",
      "input": "/tmp/…/small.bin",
      "output": "/tmp/…/small.out",
      "name": "small.bin"
    }

The script connects with the pre-shared key of the home DC, checks who it is
signed in as, uploads `input`, finalises the upload into a document, downloads
that document to `output` and prints one JSON line (its last line on stdout)
describing what it did. The Rust side does not trust that report for the
verdict: it compares `output` with the bytes it wrote itself, and reads the
server's call counters to see which upload method was used.
"""

import hashlib
import json
import sys
import traceback

#: Files above this size must go through upload.saveBigFilePart
#: ("10 MB" in Telegram's documentation is 10 MiB in every client).
BIG_FILE_THRESHOLD = 10 * 1024 * 1024


def read_job():
    """The job the Rust test wrote to stdin."""
    job = json.load(sys.stdin)
    home = next(dc for dc in job["dcs"] if dc["dc_id"] == job["home_dc"])
    job["home"] = home
    return job


def sha256_file(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def report(**fields):
    """Prints the one-line JSON summary the Rust test parses."""
    print(json.dumps(fields, sort_keys=True), flush=True)


def run(main):
    """Runs `main()` (a coroutine function) and exits non-zero on any error,
    after printing the traceback to stderr for the test's failure message."""
    import asyncio

    try:
        asyncio.run(main())
    except BaseException:  # noqa: BLE001 - any failure must fail the test
        traceback.print_exc()
        sys.stderr.flush()
        sys.exit(1)
