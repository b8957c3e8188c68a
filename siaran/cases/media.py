"""What Siaran reads and makes of an uploaded image or video, right after accepting it.

For each image or video `cases.actions.attachment_add` accepts:

- its facts, kept on the attachment: width and height as shown (an image's EXIF
  orientation and a video's display rotation applied) and a video's length in seconds;
- a preview: a small JPEG (at most 1080 px on the long side) that a phone page shows
  instead of the file, an image scaled down or a video's poster frame (near 1 s);
- renditions: copies for platforms that cannot take the file as it is.

Images are read from their header first: one larger than `MAX_PIXELS` (a decompression
bomb: a 13,000 x 13,000 PNG weighs 164 KB) is refused before any pixel is decoded, and
nothing is saved. JPEGs are decoded at a reduced scale (`draft`), so a 10 MB photo
costs a few megabytes. Videos are read through PyAV from the container's header and one
decoded frame; the file is never read whole. A video PyAV cannot open keeps no facts
and no preview; it is still a video (its signature said so) and is kept.

Renditions are made at upload, for the case's channels at that moment, one per distinct
need. For each channel whose platform takes images and whose rules (the connector's
`Rules`) the original breaks by type, bytes or proportions, the need is the proportion
the copy must have: the original's, or the nearest the platform takes (Instagram 4:5 to
1.91:1). Channels with the same need share one copy: a HEIC photo gets one JPEG for
Facebook, X and the website. A rendition is a JPEG scaled to at most
`RENDITION_SIDE` px and padded (never cropped) with white to that proportion; it is an
Attachment with `original` set, never in a content version's media nor in the case's
file list. The original stays the content: its SHA-256 is in the approved digest, and
publishing sends the rendition in its place only to a platform that refuses the
original (`siaran.publishing.media.MediaFile.fitting`). Publishing makes the renditions
still missing when it starts (`cases.actions.renditions_ensure`): for files uploaded before this
module existed, or before the case gained a channel. Videos are never transcoded: a
video a platform refuses stays a problem the case page names (channels_unfit).
"""

from __future__ import annotations

import hashlib
import io
import math
import re
import secrets
import zlib
from dataclasses import dataclass, field

from django.core.files.base import ContentFile
from django.utils.translation import gettext as _
from PIL import Image, ImageOps

from .models import Attachment

try:  # photos from phones: HEIC/HEIF through libheif
    import pillow_heif

    pillow_heif.register_heif_opener()
except ImportError:  # pragma: no cover - the deployment ships it (pyproject.toml)
    pillow_heif = None


MAX_PIXELS = 40_000_000  # more is refused on upload, from the header alone
# Pillow's own guard for any image Siaran opens: it warns above this and refuses above
# twice this. Our check above comes first for uploads.
Image.MAX_IMAGE_PIXELS = MAX_PIXELS
PREVIEW_SIDE = 1080
PREVIEW_QUALITY = 80
RENDITION_SIDE = 2048
RENDITION_QUALITY = 88
POSTER_SECOND = 1.0  # a video's preview is the frame at (the keyframe before) this time


@dataclass
class Copy:
    """A rendition made in memory, not yet stored."""

    data: bytes
    width: int
    height: int


@dataclass
class Made:
    """What was made of one upload: its preview and its renditions, not yet stored."""

    preview: bytes | None = None
    copies: list[Copy] = field(default_factory=list)


def _refusal(code: str, message: str) -> Exception:
    """The file cannot be kept (422): `message` says why, in the reader's language."""
    from .actions import ActionError  # it imports this module

    return ActionError(ActionError.INVALID, code, message)


# -- reading an upload ---------------------------------------------------------------------


def examine(attachment: Attachment, upload, channels: list[str]) -> Made:
    """Read the facts of an accepted upload onto `attachment` (not saved) and make its
    preview and the renditions the case's `channels` need. Raises ActionError (422) for an
    image too large to decode or unreadable. The upload is left at its start."""
    try:
        if attachment.kind == "image":
            return examine_image(attachment, upload, channels)
        if attachment.kind == "video":
            return _examine_video(attachment, upload)
        return Made()
    finally:
        upload.seek(0)


def examine_image(attachment: Attachment, upload, channels: list[str]) -> Made:
    upload.seek(0)
    try:
        image = Image.open(upload)  # reads the header only
    except Image.DecompressionBombError as error:  # Pillow's own guard, at twice our limit
        raise _too_large() from error
    except (OSError, ValueError) as error:
        raise _unreadable() from error
    with image:
        width, height = image.size
        if width * height > MAX_PIXELS:
            raise _too_large()
        try:  # a PNG's EXIF may follow its pixels: reading it decodes them
            orientation = image.getexif().get(0x0112)
        except (OSError, ValueError, SyntaxError) as error:
            # Pillow keeps what it decoded before the break, and a second load would not
            # fail again: the picture is refused here.
            raise _unreadable() from error
        if orientation in (5, 6, 7, 8):  # turned a quarter: the sides swap
            width, height = height, width
        attachment.width, attachment.height = width, height
        needs = _needs(attachment, channels)
        side = RENDITION_SIDE if needs else PREVIEW_SIDE
        try:
            picture = _decoded(image, side)
        except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as error:
            # Its header read, its pixels broken: a truncated export, or an image header
            # in front of something else (a script). Every pixel is decoded before an
            # image is accepted, so only a whole picture is kept.
            raise _unreadable() from error
    made = Made(preview=_jpeg(_scaled(picture, PREVIEW_SIDE), PREVIEW_QUALITY))
    made.copies = [_rendition(picture, ratio, limit) for ratio, limit in needs]
    return made


def _unreadable() -> Exception:
    return _refusal(
        "image_unreadable", _("This image cannot be read; export it again and upload it.")
    )


def _too_large() -> Exception:
    return _refusal(
        "image_too_large",
        _(
            "This image has more than %(limit)d megapixels, too many to process. Export it "
            "smaller (for example 4000 pixels on its long side) and upload it again."
        )
        % {"limit": MAX_PIXELS // 1_000_000},
    )


def _decoded(image: Image.Image, side: int) -> Image.Image:
    """The pixels, turned upright, in RGB on white, at most about `side` px long.

    A JPEG is decoded at the smallest of 1/1, 1/2, 1/4, 1/8 scale still at least `side`
    (draft); other types are decoded whole (at most MAX_PIXELS) and scaled at once."""
    if image.format == "JPEG":
        image.draft("RGB", (side, side))
    image.load()
    image = ImageOps.exif_transpose(image)
    image.thumbnail((side, side), Image.Resampling.LANCZOS, reducing_gap=3.0)
    return _rgb(image)


def _rgb(image: Image.Image) -> Image.Image:
    if image.mode == "RGB":
        return image
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        image = image.convert("RGBA")
        flat = Image.new("RGB", image.size, (255, 255, 255))
        flat.paste(image, mask=image.getchannel("A"))
        return flat
    return image.convert("RGB")


def _scaled(image: Image.Image, side: int) -> Image.Image:
    if max(image.size) <= side:
        return image
    copy = image.copy()
    copy.thumbnail((side, side), Image.Resampling.LANCZOS)
    return copy


def _jpeg(image: Image.Image, quality: int) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=quality, optimize=True, progressive=True)
    return buffer.getvalue()


def _examine_video(attachment: Attachment, upload) -> Made:
    import av  # PyAV, with its own FFmpeg

    path = getattr(upload, "temporary_file_path", None)
    source = path() if path else upload
    upload.seek(0)
    try:
        with av.open(source, metadata_errors="ignore") as container:
            if not container.streams.video:
                return Made()
            stream = container.streams.video[0]
            width, height = stream.codec_context.width, stream.codec_context.height
            seconds = None
            if container.duration:
                seconds = container.duration / av.time_base
            elif stream.duration and stream.time_base:
                seconds = float(stream.duration * stream.time_base)
            attachment.width, attachment.height = (width or None), (height or None)
            attachment.seconds = round(seconds, 3) if seconds else None
            frame = _poster_frame(container, stream, seconds)
    except (av.FFmpegError, OSError, ValueError, IndexError):
        return Made()
    if frame is None:
        return Made()
    picture = frame.to_image()
    rotation = getattr(frame, "rotation", 0) or 0
    if rotation % 360:
        picture = picture.rotate(rotation, expand=True)  # counterclockwise, as FFmpeg says
    if rotation % 180 and attachment.width and attachment.height:
        attachment.width, attachment.height = attachment.height, attachment.width
    return Made(preview=_jpeg(_scaled(_rgb(picture), PREVIEW_SIDE), PREVIEW_QUALITY))


def _poster_frame(container, stream, seconds):
    """The frame at the keyframe before POSTER_SECOND (the first frame of a shorter
    video), decoding a few frames at most."""
    import av

    if seconds and seconds > POSTER_SECOND:
        try:
            container.seek(int(POSTER_SECOND * av.time_base))  # to the keyframe before
            frame = next(container.decode(stream), None)
        except av.FFmpegError:
            frame = None
        if frame is not None:
            return frame
        container.seek(0)
    return next(container.decode(stream), None)


# -- renditions ----------------------------------------------------------------------------


def _needs(attachment: Attachment, channels: list[str]) -> list[tuple[float, int | None]]:
    """The renditions the channels need of an image: (proportion, most bytes) each,
    one per distinct proportion; none when every platform takes the original."""
    from siaran.publishing.connectors import rules_for
    from siaran.publishing.media import MediaFile
    from siaran.publishing.rules import file_problems

    if not attachment.width or not attachment.height:
        return []
    item = MediaFile(attachment)
    ratio = attachment.width / attachment.height
    needs: dict[float, int | None] = {}
    for channel in dict.fromkeys(channels):
        rules = rules_for(channel)
        if "image" not in rules.kinds or not file_problems(rules, item):
            continue
        target = ratio
        if rules.image_ratio:
            low, high = rules.image_ratio
            target = min(max(ratio, low), high)
        key = round(target, 4)
        limits = [x for x in (needs.get(key), rules.image_max_bytes) if x]
        needs[key] = min(limits) if limits else None
    return list(needs.items())


def _rendition(picture: Image.Image, ratio: float, limit: int | None) -> Copy:
    """`picture` as a JPEG of proportion `ratio`, padded with white, within `limit` bytes."""
    width, height = picture.size
    if width / height > ratio + 0.0005:  # too wide: add height
        canvas = (width, math.ceil(width / ratio))
    elif width / height < ratio - 0.0005:  # too tall: add width
        canvas = (math.ceil(height * ratio), height)
    else:
        canvas = (width, height)
    if canvas != (width, height):
        padded = Image.new("RGB", canvas, (255, 255, 255))
        padded.paste(picture, ((canvas[0] - width) // 2, (canvas[1] - height) // 2))
        picture = padded
    quality = RENDITION_QUALITY
    data = _jpeg(picture, quality)
    while limit and len(data) > limit and quality > 40:  # a busy photo at its largest
        quality -= 12
        data = _jpeg(picture, quality)
    return Copy(data=data, width=picture.width, height=picture.height)


# -- storing what was made ---------------------------------------------------------------


def keep(attachment: Attachment, made: Made) -> list[Attachment]:
    """Store the preview (on `attachment`, not saved) and the renditions' files; the
    renditions' rows, unsaved, for `save_renditions` once the original is saved."""
    if made.preview:
        attachment.preview.save("preview.jpg", ContentFile(made.preview), save=False)
    stem = attachment.name.rsplit(".", 1)[0] or "image"
    renditions = []
    try:
        for copy in made.copies:
            rendition = Attachment(
                case_id=attachment.case_id,
                key=secrets.token_hex(16),
                name=f"{stem}.jpg"[:200],
                kind="image",
                content_type="image/jpeg",
                extension=".jpg",
                size=len(copy.data),
                sha256=_sha256(copy.data),
                uploaded_by_id=attachment.uploaded_by_id,
                step_id=attachment.step_id,
                width=copy.width,
                height=copy.height,
            )
            rendition.file.save("rendition", ContentFile(copy.data), save=False)
            renditions.append(rendition)
    except Exception:
        discard(attachment, renditions)
        raise
    return renditions


def discard(attachment: Attachment, renditions: list[Attachment]) -> None:
    """Remove the stored files of what `keep` stored, when the rows were not written."""
    if attachment.preview:
        attachment.preview.delete(save=False)
    for rendition in renditions:
        rendition.file.delete(save=False)


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# -- letters (PDF) -------------------------------------------------------------------------

# Names of a PDF's active content: scripts, and actions that launch programs, send forms
# or fetch data. A letter, a request form or a consent form has none of them.
PDF_ACTIVE = re.compile(rb"/(JavaScript|JS|Launch|SubmitForm|ImportData|RichMedia|XFA)\b")
PDF_STREAM = re.compile(rb"stream\r?\n(.*?)endstream", re.S)
PDF_NAME_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")
PDF_INFLATED_MAX = 64 * 2**20  # what the streams may inflate to in all; a bomb stops here


def pdf_is_active(upload) -> bool:
    """Does the PDF carry a script or an action that runs something? Its bytes are read,
    and every compressed stream inflated (object streams hide names there), with names
    written in #xx escapes unescaped first (/J#61vaScript is /JavaScript)."""
    upload.seek(0)
    data = upload.read()
    upload.seek(0)
    texts, budget = [data], PDF_INFLATED_MAX
    for stream in PDF_STREAM.finditer(data):
        inflater = zlib.decompressobj()
        try:
            inflated = inflater.decompress(stream.group(1), budget)
        except zlib.error:
            continue
        budget -= len(inflated)
        texts.append(inflated)
        if budget <= 0:
            return True  # more than any letter inflates to: refused as a bomb would be
    unescaped = (PDF_NAME_ESCAPE.sub(lambda m: bytes([int(m.group(1), 16)]), t) for t in texts)
    return any(PDF_ACTIVE.search(text) for text in unescaped)
