"""Pyrogram (from PyPI, pinned in requirements.txt) against the fake DC.

Pyrogram is pointed at the fake DC in two ways:

* its session comes from a session string (Pyrogram's own documented import
  format) holding the home DC's id and pre-shared key and the self user's id,
  so `Client.start()` finds an authorised session and never runs the DH
  handshake or the interactive sign-in;
* THE MONKEYPATCH: Pyrogram has no setting for server addresses; it looks
  every DC up in the hard-coded table of
  `pyrogram.session.internals.data_center.DataCenter` (Telegram's production
  IPs, port 443). `point_pyrogram_at` replaces `DataCenter.__new__`, which is
  that lookup, with one that answers from the fake DC's table (for main and
  media connections alike) and refuses any DC the fake cluster lacks.
  Nothing else in Pyrogram is changed.

Then: `Client.start()` (help.getConfig, updates.getState, users.getFullUser),
`save_file` (which picks upload.saveFilePart or upload.saveBigFilePart by
size, on its own media connection), a raw `messages.uploadMedia` to turn the
upload into a document, and `download_media` (upload.getFile). Pyrogram is
layer 158: the fake DC translates the few constructors that differ (see
fakedc/src/legacy_layer.rs).

Run by tests/fakedc_python.rs; see harness.py for the job and the report.
"""

import base64
import os
import struct

import harness


def point_pyrogram_at(dcs):
    """The documented monkeypatch: DC lookups answer from the fake DC's table."""
    from pyrogram.session.internals.data_center import DataCenter

    table = {dc["dc_id"]: (dc["host"], dc["port"]) for dc in dcs}

    def lookup(cls, dc_id, test_mode, ipv6, media):
        if dc_id not in table:
            raise ValueError(f"DC {dc_id} is not part of the fake cluster")
        return table[dc_id]

    DataCenter.__new__ = staticmethod(lookup)


def session_string(dc_id, api_id, auth_key, user_id):
    """Pyrogram's session string: ">BI?256sQ?" = dc_id, api_id, test_mode,
    auth_key, user_id, is_bot; URL-safe base64 without padding."""
    packed = struct.pack(">BI?256sQ?", dc_id, api_id, False, auth_key, user_id, False)
    return base64.urlsafe_b64encode(packed).decode().rstrip("=")


async def main():
    import pyrogram
    from pyrogram import Client, raw, types
    from pyrogram.raw.all import layer

    job = harness.read_job()
    home = job["home"]
    point_pyrogram_at(job["dcs"])

    client = Client(
        "fakedc",
        api_id=job["api_id"],
        api_hash=job["api_hash"],
        session_string=session_string(
            home["dc_id"],
            job["api_id"],
            bytes.fromhex(home["auth_key_hex"]),
            job["user_id"],
        ),
        in_memory=True,
        workdir=os.path.dirname(job["output"]),
    )
    await client.start()
    try:
        me = client.me

        size = os.path.getsize(job["input"])
        uploaded = await client.save_file(job["input"])
        if uploaded is None:
            raise RuntimeError("save_file failed (see the log above)")
        is_big = isinstance(uploaded, raw.types.InputFileBig)
        if is_big != (size > harness.BIG_FILE_THRESHOLD):
            raise RuntimeError(f"unexpected InputFile kind {type(uploaded).__name__} for {size} bytes")

        media = await client.invoke(
            raw.functions.messages.UploadMedia(
                peer=raw.types.InputPeerSelf(),
                media=raw.types.InputMediaUploadedDocument(
                    file=uploaded,
                    mime_type="application/octet-stream",
                    force_file=True,
                    attributes=[raw.types.DocumentAttributeFilename(file_name=job["name"])],
                ),
            )
        )
        if not isinstance(media, raw.types.MessageMediaDocument):
            raise RuntimeError(f"uploadMedia gave {media!r}")
        # The same parsing Pyrogram applies to a document in a message.
        document = types.Document._parse(client, media.document, job["name"])
        if document.file_size != size:
            raise RuntimeError(f"document.file_size {document.file_size} != {size}")

        path = await client.download_media(document, file_name=job["output"])
        if os.path.abspath(path) != os.path.abspath(job["output"]):
            raise RuntimeError(f"downloaded to {path!r}, not {job['output']!r}")

        harness.report(
            client="pyrogram",
            version=pyrogram.__version__,
            layer=layer,
            me_id=me.id,
            me_first_name=me.first_name,
            input_file=type(uploaded).__name__,
            parts=uploaded.parts,
            document_id=media.document.id,
            size=size,
            sha256_in=harness.sha256_file(job["input"]),
            sha256_out=harness.sha256_file(job["output"]),
        )
    finally:
        await client.stop()


if __name__ == "__main__":
    harness.run(main)
