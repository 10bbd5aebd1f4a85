"""Photos kept as evidence, made safe to keep and show (Pillow): decoded (so only a real picture
is kept, and not one whose size would take the memory), turned upright by its EXIF orientation,
shrunk to at most MAX_SIDE pixels a side and re-encoded as JPEG with no metadata at all: the
EXIF location, the phone's model and the time are gone. The hash is the kept file's."""

from __future__ import annotations

import asyncio
import hashlib
import io
import warnings

from komunalka.application.readings.photo_evidence import (
    MAX_PIXELS,
    MAX_SIDE,
    CleanImage,
    NotAnImage,
)

QUALITY = 85


class PillowEvidenceImages:
    async def clean(self, upload: bytes) -> CleanImage:
        """In a worker thread: decoding a phone's photo takes a tenth of a second or more."""
        return await asyncio.to_thread(self.clean_now, upload)

    def clean_now(self, upload: bytes) -> CleanImage:
        from PIL import Image, ImageOps  # here: a process that never keeps a photo never loads it

        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error", Image.DecompressionBombWarning)
                image = Image.open(io.BytesIO(upload))
                if image.width * image.height > MAX_PIXELS:
                    raise NotAnImage("too many pixels")
                image.draft("RGB", (MAX_SIDE, MAX_SIDE))  # JPEG: decode at a smaller scale
                upright = ImageOps.exif_transpose(image.convert("RGB"))
        except (OSError, ValueError, Image.DecompressionBombError, Warning) as exc:
            raise NotAnImage(str(exc)) from exc
        upright.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
        out = io.BytesIO()
        upright.save(out, "JPEG", quality=QUALITY, optimize=True)  # no exif= given: none kept
        content = out.getvalue()
        digest = hashlib.sha256(content).hexdigest()
        return CleanImage(content, upright.width, upright.height, digest)
