"""Telethon (from PyPI, pinned in requirements.txt) against the fake DC.

Only Telethon's ordinary high-level API is used: the session is seeded with
the fake DC's address and pre-shared key, then `upload_file` (which picks
upload.saveFilePart or upload.saveBigFilePart by size on its own),
`send_file("me", …)` (messages.sendMedia to Saved Messages) and
`download_media` (upload.getFile).

Run by tests/fakedc_python.rs; see harness.py for the job and the report.
"""

import os

import harness


async def main():
    import telethon
    from telethon import TelegramClient, types
    from telethon.crypto import AuthKey
    from telethon.sessions import MemorySession
    from telethon.tl.alltlobjects import LAYER

    job = harness.read_job()
    home = job["home"]

    # The pre-shared key replaces the DH handshake: Telethon skips it when
    # the session already holds a key for its DC.
    session = MemorySession()
    session.set_dc(home["dc_id"], home["host"], home["port"])
    session.auth_key = AuthKey(bytes.fromhex(home["auth_key_hex"]))

    client = TelegramClient(
        session,
        job["api_id"],
        job["api_hash"],
        # Fail fast instead of retrying for minutes if the server misbehaves.
        connection_retries=1,
        retry_delay=0,
        request_retries=2,
        timeout=30,
        receive_updates=False,
    )
    await client.connect()
    try:
        if not await client.is_user_authorized():
            raise RuntimeError("the pre-shared key is not signed in")
        me = await client.get_me()

        size = os.path.getsize(job["input"])
        uploaded = await client.upload_file(job["input"], file_name=job["name"])
        is_big = isinstance(uploaded, types.InputFileBig)
        if is_big != (size > harness.BIG_FILE_THRESHOLD):
            raise RuntimeError(f"unexpected InputFile kind {type(uploaded).__name__} for {size} bytes")

        message = await client.send_file(
            "me", uploaded, force_document=True, mime_type="application/octet-stream"
        )
        document = message.document
        if document is None:
            raise RuntimeError(f"sendMedia gave no document: {message!r}")
        if document.size != size:
            raise RuntimeError(f"document.size {document.size} != {size}")
        if message.file.name != job["name"]:
            raise RuntimeError(f"document name {message.file.name!r} != {job['name']!r}")

        path = await client.download_media(message, file=job["output"])
        if path != job["output"]:
            raise RuntimeError(f"downloaded to {path!r}, not {job['output']!r}")

        harness.report(
            client="telethon",
            version=telethon.__version__,
            layer=LAYER,
            me_id=me.id,
            me_first_name=me.first_name,
            # InputSizedFile is Telethon's subclass of the TL inputFile.
            input_file="InputFileBig" if is_big else "InputFile",
            parts=uploaded.parts,
            message_id=message.id,
            document_id=document.id,
            size=size,
            sha256_in=harness.sha256_file(job["input"]),
            sha256_out=harness.sha256_file(job["output"]),
        )
    finally:
        await client.disconnect()


if __name__ == "__main__":
    harness.run(main)
