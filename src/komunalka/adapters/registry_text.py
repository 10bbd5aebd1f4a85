"""What a registry file is, told from its first bytes, and a CSV registry's text decoded as it
streams.

What the file is goes by its content, not its name: a ZIP is an XLSX workbook (or refused as
``registry.zip_not_xlsx``); an image, a PDF, an old ``.xls``, an archive, a file of binary
bytes, an empty one are refused with one sentence each (``registry.not_a_table``,
``registry.binary_file``, ``registry.empty_file``); anything else is a text table.

Its encoding, by a small deterministic rule rather than a statistical detector
(charset-normalizer, chardet): suppliers send three encodings — UTF-8, UTF-16 (Excel's "Unicode
text") and Windows-1251 (Excel's CSV on a Ukrainian Windows) — and a guess among a hundred
code pages would sometimes name a wrong one for a short or mostly-ASCII file, differently from
one library version to the next. The rule, on the first SAMPLE bytes:

1. a byte-order mark: UTF-8, UTF-16 LE or UTF-16 BE;
2. valid UTF-8: UTF-8 (plain ASCII is both, and reads the same);
3. else Windows-1251 when the text it gives is Cyrillic words: at least 80% of the words with a
   Cyrillic letter are Cyrillic through and through. Latin-1 text (``Müller``) read as 1251
   gives words half Latin, half Cyrillic (``Mьller``) and is refused
   (``registry.unknown_encoding``: save the file as UTF-8) rather than landed garbled.

The whole file is not read to decide. Bytes past the sample that the encoding cannot read
(a file that mixes encodings) spoil only their row (``registry.bad_bytes``), as does a NUL
(``registry.nul_byte``): the chunk they are in marks the reader `suspect`, and only then does it
look at each row for them, so a clean file's rows go by unlooked at (the UTF-8 path is as fast
as before: Python's own text reader, with one Python call per 64 KiB).
"""

from __future__ import annotations

import codecs
import io
import re
import threading
from dataclasses import dataclass
from typing import BinaryIO, TextIO, cast

from komunalka.domain.errors import DomainError

# Bytes read ahead to tell the kind and the encoding; the text is then decoded in such chunks.
SAMPLE = 1024 * 1024
# Bytes a text reader takes at a time: as fast as the default buffered file on a million rows.
CHUNK = 64 * 1024
ZIP = b"PK\x03\x04"
_MAGIC = (
    (b"\x89PNG", "PNG"),
    (b"\xff\xd8\xff", "JPEG"),
    (b"GIF8", "GIF"),
    (b"%PDF", "PDF"),
    (b"\xd0\xcf\x11\xe0", "XLS (Excel 97-2003)"),
    (b"Rar!", "RAR"),
    (b"7z\xbc\xaf", "7z"),
    (b"\x1f\x8b", "gzip"),
    (b"RIFF", "RIFF"),
)
# Controls no text table holds: all but tab, line feed, carriage return, form feed and Ctrl-Z
# (an old end-of-file mark).
_CONTROLS = re.compile("[\x00-\x08\x0b\x0e-\x19\x1b-\x1f]")
# A sample with more controls than this share (and than a few) is binary, not a table with a
# stray byte in a row.
BINARY_SHARE = 0.01
MIN_CONTROLS = 16
CYRILLIC_SHARE = 0.8
_WORDS = re.compile(r"[^\W\d_]+")
_CYRILLIC = re.compile("[\u0400-\u04ff]")
_LATIN = re.compile("[A-Za-z\u00c0-\u024f]")


@dataclass(frozen=True, slots=True)
class Encoding:
    codec: str  # Python's name
    label: str  # the name shown to people
    bom: int = 0  # bytes of its byte-order mark at the start


UTF8 = Encoding("utf-8", "UTF-8")
UTF8_BOM = Encoding("utf-8", "UTF-8 (BOM)", 3)
UTF16_LE = Encoding("utf-16-le", "UTF-16 LE", 2)
UTF16_BE = Encoding("utf-16-be", "UTF-16 BE", 2)
CP1251 = Encoding("cp1251", "Windows-1251")
_BOMS = (
    (codecs.BOM_UTF8, UTF8_BOM),
    (codecs.BOM_UTF16_LE, UTF16_LE),
    (codecs.BOM_UTF16_BE, UTF16_BE),
)


def is_zip(head: bytes) -> bool:
    return head.startswith(ZIP)


def text_encoding(head: bytes) -> Encoding:
    """The encoding of a text table beginning with `head` (SAMPLE bytes, fewer at the end of the
    file); raises DomainError when it is not a text table."""
    for magic, what in _MAGIC:
        if head.startswith(magic):
            raise DomainError.of("registry.not_a_table", what=what)
    encoding = _by_bom(head) or _utf8(head) or CP1251
    text = _decoded(head[encoding.bom :], encoding, final=len(head) < SAMPLE)
    if not text.strip():
        raise DomainError.of("registry.empty_file")
    controls = len(_CONTROLS.findall(text))
    if controls > max(MIN_CONTROLS, BINARY_SHARE * len(text)):
        raise DomainError.of("registry.binary_file")
    if encoding is CP1251 and not _cyrillic(text):
        raise DomainError.of("registry.unknown_encoding")
    return encoding


def _by_bom(head: bytes) -> Encoding | None:
    # UTF-32 LE starts like UTF-16 LE; its NULs then make it binary, which it is to a CSV reader.
    return next((encoding for bom, encoding in _BOMS if head.startswith(bom)), None)


def _utf8(head: bytes) -> Encoding | None:
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=len(head) < SAMPLE)
    except UnicodeDecodeError:
        return None
    return UTF8


def _cyrillic(text: str) -> bool:
    """Whether the text is Cyrillic words: most words with a Cyrillic letter have no Latin one."""
    words = [w for w in _WORDS.findall(text) if _CYRILLIC.search(w)]
    pure = sum(1 for w in words if not _LATIN.search(w))
    return bool(words) and pure >= CYRILLIC_SHARE * len(words)


def _decoded(data: bytes, encoding: Encoding, final: bool) -> str:
    return codecs.getincrementaldecoder(encoding.codec)("replace").decode(data, final)


def decoded(raw: BinaryIO, encoding: Encoding) -> tuple[TextIO, WatchedBytes]:
    """The text of `raw` (from its start, past its byte-order mark), lines kept whole as a CSV
    reader wants them, with the watch that tells when a chunk held a NUL or unreadable bytes
    (those read as U+FFFD)."""
    raw.seek(encoding.bom)
    watched = WatchedBytes(raw)
    # (a BufferedIOBase, all a TextIOWrapper reads through; typeshed wants more of a buffer)
    text = io.TextIOWrapper(cast(BinaryIO, watched), encoding.codec, errors=_MARK, newline="")
    text._CHUNK_SIZE = CHUNK  # type: ignore[attr-defined]
    return text, watched


class WatchedBytes(io.BufferedIOBase):
    """The file's bytes as a text reader takes them, a chunk at a time. `suspect` turns true at
    the first chunk holding a NUL, or bytes the encoding cannot read, before any row of it is
    read: the reader decodes each chunk right after taking it, in the same thread, so the
    decoding error handler finds its watch in `_watching`."""

    def __init__(self, raw: BinaryIO) -> None:
        super().__init__()
        self.suspect = False
        self._raw = raw

    def readable(self) -> bool:
        return True

    def read1(self, size: int | None = -1, /) -> bytes:
        _watching.watch = self
        data = self._raw.read(CHUNK if size is None or size < 0 else size)
        if b"\x00" in data:
            self.suspect = True
        return data

    read = read1


def _marked(error: UnicodeError) -> tuple[str, int]:
    watch: WatchedBytes | None = getattr(_watching, "watch", None)
    if watch is not None:
        watch.suspect = True
    if not isinstance(error, UnicodeDecodeError):
        raise error
    return "\ufffd", error.end


_MARK = "komunalka.registry"
_watching = threading.local()
codecs.register_error(_MARK, _marked)
