"""Helpers for tests that publish: images, a case at its publish step, sandboxes."""

from __future__ import annotations

import contextlib
import io

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from siaran.cases import actions as case_actions
from siaran.cases.channels import case_channels_drop
from siaran.cases.models import Case
from siaran.publishing import actions
from siaran.publishing.fit import channels_unfit
from siaran.publishing.models import PublishJob


def image(width: int = 1080, height: int = 1080, kind: str = "JPEG", name: str = "") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (200, 30, 60)).save(buffer, kind)
    return buffer.getvalue()


def upload(data: bytes, name: str, content_type: str = "image/jpeg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=content_type)


def screenshot() -> SimpleUploadedFile:
    return upload(image(400, 800, "PNG"), "bukti.png", "image/png")


def finish_by_hand(case: Case, person, *, only_by_hand: bool = False) -> Case:
    """Record every channel (or those posted by hand) of a publishing case as posted."""
    pending = PublishJob.objects.filter(case=case).exclude(status__in=["succeeded", "manual_done"])
    if only_by_hand:
        pending = pending.filter(connector="manual")
    for job in pending:
        actions.publication_done_by_hand(
            person=person,
            case_id=case.pk,
            channel=job.channel,
            permalink=f"https://example.org/{job.channel}/1",
            screenshot=screenshot(),
        )
    case.refresh_from_db()
    return case


def connect(admin, channel: str, connector: str, url: str = "", **fields) -> None:
    """Point an institution's channel at a sandbox (or make it by hand)."""
    credentials = fields.pop("credentials", None)
    if credentials is None and connector == "wordpress":
        credentials = {
            "username": "siaran",
            "application_password": "abcd efgh ijkl mnop qrst uvwx",
        }
    elif credentials is None and connector != "manual":
        credentials = {"access_token": "sandbox-token"}
    actions.channel_account_save(
        admin=admin,
        channel=channel,
        connector=connector,
        base_url=url,
        credentials=credentials or {},
        account_id=fields.pop(
            "account_id", "" if connector in ("wordpress", "manual") else "17841400000000001"
        ),
        **fields,
    )


def at_publish_step(person, title: str = "Dies Natalis Poltekkes Jakarta II") -> Case:
    """The demo's Poltekkes case waiting at its upload step, with its approved poster (a
    1080x1080 PNG, made at the design step)."""
    case = Case.objects.get(title=title)
    assert case.current_step == "upload"
    assert case.versions.get().media.count() == 1
    return case


def rspon_at_upload(demo, *files, drop_unfit: bool = True) -> Case:
    """The demo's RSPON poster case, approved by the directors: at its upload step.

    `files` are (bytes, name, content type): the content's media instead of the demo's
    poster. Content changes only where it is made, so the directors first send the case
    back to the PR team's editing step, where the files are put in, and it comes back to
    them through the SOP's steps.
    """
    case = Case.objects.get(title="Poster Hari Stroke Sedunia")
    if files:
        content_rework(demo, case, files, drop_unfit=drop_unfit)
    case_actions.case_decide(person=demo["rspon-direksi"], case_id=case.pk, outcome="ya")
    case.refresh_from_db()
    assert case.current_step == "upload"
    return case


# Channels that take a post of text alone, per SOP: a case with no poster or video can be
# reviewed to the end for them (a review does not pass content a channel would refuse).
TEXT_ONLY = {"rspon-medsos": ["facebook", "x"], "poltekkes-jkt2-publikasi": ["facebook", "website"]}


# Who finishes each step of the two SOPs in the demo, and with what outcome.
WALKS = {
    "rspon-medsos": {
        "request": ("rspon-unit-kerja", "done"),
        "produce": ("rspon-ipkp", "done"),
        "receive-letter": ("rspon-subkoor-humas", "done"),
        "edit": ("rspon-tim-humas", "done"),
        "verify": ("rspon-subkoor-humas", "done"),
        "submit-to-directors": ("rspon-koordinator-umum", "done"),
        "director-review": ("rspon-direksi", "ya"),
        "upload": ("rspon-tim-humas", "publish"),
    },
    "poltekkes-jkt2-publikasi": {
        "direction": ("poltekkes-jkt2-pengarah", "done"),
        "plan": ("poltekkes-jkt2-ketua-tim", "done"),
        "design": ("poltekkes-jkt2-anggota", "done"),
        "verify": ("poltekkes-jkt2-verifikator", "ya"),
        "control": ("poltekkes-jkt2-pengendali-publikasi", "ya"),
        "approve": ("poltekkes-jkt2-penanggung-jawab", "ya"),
        "ratify": ("poltekkes-jkt2-pengarah", "ya"),
        "upload": ("poltekkes-jkt2-anggota", "publish"),
    },
}


def poltekkes_at_upload(demo, *files, title: str = "Video Dies Natalis", channels=None) -> Case:
    """A new Poltekkes case walked to its upload step by the demo's people, with `files`
    ((bytes, name, content type)) as its media, put in at the design step."""
    case = case_actions.case_start(
        person=demo["poltekkes-jkt2-pengarah"],
        sop_id="poltekkes-jkt2-publikasi",
        title=title,
        channels=channels,
    )
    while case.current_step != "upload":
        username, outcome = WALKS["poltekkes-jkt2-publikasi"][case.current_step]
        if case.current_step == "design":
            for data, name, content_type in files:
                case_actions.attachment_add(
                    person=demo[username], case_id=case.pk, upload=upload(data, name, content_type)
                )
        case = case_actions.case_decide(person=demo[username], case_id=case.pk, outcome=outcome)
    return case


def content_rework(demo, case: Case, files, *, drop_unfit: bool = True) -> Case:
    """Send the RSPON case at the directors' review back to editing, make `files` its
    media (in that order), and walk it back to the directors. `drop_unfit`: drop the
    channels the files cannot go to (else the review refuses them, unless posted by
    hand)."""
    case_actions.case_decide(
        person=demo["rspon-direksi"], case_id=case.pk, outcome="tidak", note="Ganti berkasnya."
    )
    editor = demo["rspon-tim-humas"]
    for old in case.versions.order_by("-number").first().media.all():
        case_actions.version_media_remove(person=editor, case_id=case.pk, attachment_id=old.pk)
    # Every channel of the SOP, as the request asked; the PR team then drops those the
    # files cannot go to (a poster: not YouTube), as the case page proposes.
    Case.objects.filter(pk=case.pk).update(channels=["instagram", "facebook", "x", "youtube"])
    for data, name, content_type in files:
        case_actions.attachment_add(
            person=editor, case_id=case.pk, upload=upload(data, name, content_type)
        )
    case.refresh_from_db()
    unfit = channels_unfit(case, case.versions.order_by("-number").first())
    if unfit and drop_unfit:
        case = case_channels_drop(person=editor, case_id=case.pk, channels=list(unfit))
    while case.current_step != "director-review":
        username, outcome = WALKS["rspon-medsos"][case.current_step]
        case = case_actions.case_decide(person=demo[username], case_id=case.pk, outcome=outcome)
    return case


def publish(case, person, channels, **kwargs) -> dict[str, PublishJob]:
    case_actions.case_decide(
        person=person, case_id=case.pk, outcome="publish", channels=channels, **kwargs
    )
    return {job.channel: job for job in PublishJob.objects.filter(case=case)}


def mp4(seconds: float = 10.0, width: int = 1080, height: int = 1920, payload: int = 4096) -> bytes:
    """A small MP4 whose boxes say its length and picture size, as a camera writes them."""
    import struct

    def box(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", 8 + len(body)) + kind + body

    timescale = 1000
    mvhd = box(
        b"mvhd",
        bytes(4) + struct.pack(">IIII", 0, 0, timescale, int(seconds * timescale)) + bytes(80),
    )
    tkhd = box(
        b"tkhd",
        bytes([0, 0, 0, 3])
        + struct.pack(">IIIII", 0, 0, 1, 0, int(seconds * timescale))
        + bytes(8 + 8 + 36)
        + struct.pack(">II", width << 16, height << 16),
    )
    ftyp = box(b"ftyp", b"isom" + struct.pack(">I", 512) + b"isomiso2avc1mp41")
    moov = box(b"moov", mvhd + box(b"trak", tkhd))
    return ftyp + moov + box(b"mdat", bytes(payload))


@contextlib.contextmanager
def siaran_server():
    """Siaran served on a free port, as a platform reaches its signed media links.

    Started after the test's settings are in place (pytest-django's `live_server` is made
    once per session, before a test turns off the HTTPS redirect).
    """
    from django.test.testcases import LiveServerThread, _StaticFilesHandler

    thread = LiveServerThread("localhost", _StaticFilesHandler, port=0)
    thread.daemon = True
    thread.start()
    thread.is_ready.wait()
    if thread.error:
        raise thread.error
    try:
        yield f"http://localhost:{thread.port}"
    finally:
        thread.terminate()


class SmtpServer:
    """A real SMTP server on a free port that keeps what it is sent (RFC 5321's core)."""

    def __init__(self) -> None:
        import socketserver
        import threading

        self.messages: list[dict] = []
        server = self

        class Session(socketserver.StreamRequestHandler):
            def handle(self):
                self.reply("220 sandbox ESMTP")
                envelope = {"from": "", "to": [], "data": b""}
                while line := self.rfile.readline():
                    command = line.decode("ascii", "replace").strip()
                    verb = command.split(" ", 1)[0].upper()
                    if verb in ("EHLO", "HELO"):
                        self.reply("250 sandbox")
                    elif verb == "MAIL":
                        envelope["from"] = command.split(":", 1)[1].strip(" <>")
                        self.reply("250 OK")
                    elif verb == "RCPT":
                        envelope["to"].append(command.split(":", 1)[1].strip(" <>"))
                        self.reply("250 OK")
                    elif verb == "DATA":
                        self.reply("354 End data with <CR><LF>.<CR><LF>")
                        data = b""
                        while (chunk := self.rfile.readline()) not in (b".\r\n", b""):
                            data += chunk[1:] if chunk.startswith(b"..") else chunk
                        envelope["data"] = data
                        server.messages.append(dict(envelope))
                        envelope = {"from": "", "to": [], "data": b""}
                        self.reply("250 OK: queued")
                    elif verb == "QUIT":
                        self.reply("221 Bye")
                        return
                    else:
                        self.reply("250 OK")

            def reply(self, text):
                self.wfile.write(f"{text}\r\n".encode())

        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Session)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def mails(self) -> list:
        import email
        from email import policy

        return [email.message_from_bytes(m["data"], policy=policy.default) for m in self.messages]


def oauth_to_sandbox(settings, name: str, sandbox) -> None:
    """This install's OAuth app for connector `name` on `sandbox` (started on a free port):
    its authorize page, its token endpoint and its API, with the client it knows."""
    from siaran.publishing.oauth import PLATFORMS
    from siaran.publishing.sandbox.oauth import SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET

    authorize, token = PLATFORMS[name].sandbox_paths
    settings.SIARAN_OAUTH = {
        **settings.SIARAN_OAUTH,
        name: {
            "client_id": SANDBOX_CLIENT_ID,
            "client_secret": SANDBOX_CLIENT_SECRET,
            "authorize_url": sandbox.url + authorize,
            "token_url": sandbox.url + token,
            "api_url": sandbox.url,
        },
    }
