"""Bytes to text for HTML pages: size limits, compression, binary sniffing and charsets.

The order of evidence is: a byte-order mark, then valid UTF-8 (multi-byte UTF-8 is almost
never an accident in a legacy encoding, and pages often declare ISO-8859-1 while serving
UTF-8), then the HTTP ``charset`` hint, then the page's own ``<meta charset>`` or XML
declaration, then statistical detection (charset-normalizer), then UTF-8 with replacement.
Labels follow the WHATWG encoding standard where Python's codecs differ (``iso-8859-1`` and
``ascii`` mean windows-1252, ``gb2312`` means gb18030, ...); UTF-7 is refused.
"""

from __future__ import annotations

import codecs
import re
import zlib
from dataclasses import dataclass

from herald.exceptions import ExtractionError

MAX_INPUT_BYTES = 5_000_000
"""Longest input read, in bytes (or characters for ``str`` input); the rest is dropped."""

_PRESCAN_BYTES = 8192
_SAMPLE_CHARS = 65_536

_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)

_BINARY_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", "PDF document"),
    (b"\x89PNG", "PNG image"),
    (b"GIF8", "GIF image"),
    (b"\xff\xd8\xff", "JPEG image"),
    (b"RIFF", "RIFF media file"),
    (b"PK\x03\x04", "ZIP archive"),
    (b"\x7fELF", "ELF executable"),
    (b"OggS", "Ogg media file"),
    (b"ID3", "MP3 audio"),
    (b"\x00\x00\x01\x00", "icon file"),
    (b"wOFF", "web font"),
    (b"wOF2", "web font"),
)

# WHATWG label aliases that Python's codec registry resolves differently (or not at all).
_ALIASES = {
    "ascii": "cp1252",
    "us-ascii": "cp1252",
    "iso-8859-1": "cp1252",
    "iso8859-1": "cp1252",
    "latin1": "cp1252",
    "latin-1": "cp1252",
    "l1": "cp1252",
    "windows-1252": "cp1252",
    "iso-8859-9": "cp1254",
    "latin5": "cp1254",
    "tis-620": "cp874",
    "iso-8859-11": "cp874",
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "euc-kr": "cp949",
    "ks_c_5601-1987": "cp949",
    "x-sjis": "shift_jis",
    "sjis": "shift_jis",
    "shift-jis": "shift_jis",
    "windows-31j": "cp932",
    "x-mac-roman": "mac_roman",
    "unicode": "utf-8",
}
_REFUSED = {"utf-7", "utf_7", "u7", "unicode-1-1-utf-7", "x-user-defined", "replacement"}

_LABEL = rb"([A-Za-z0-9_:.\-]{1,40})"
_META_CHARSET = re.compile(rb"<meta[^>]{0,512}?charset\s*=\s*[\"']?\s*" + _LABEL, re.I)
_XML_DECLARATION = re.compile(rb"^\s*<\?xml[^>]{0,200}?encoding\s*=\s*[\"']" + _LABEL)
_TAG = re.compile(r"<[A-Za-z!?/]")


@dataclass(frozen=True)
class Decoded:
    """HTML as text, with the encoding used and whether the input was cut at the size limit."""

    text: str
    encoding: str
    truncated: bool


def decode_html(data: bytes | str, encoding: str | None = None) -> Decoded:
    """Turn raw page bytes (or text) into text, or raise ExtractionError for non-HTML input.

    ``encoding`` is the ``charset`` parameter of the HTTP Content-Type header, if any.
    """
    if isinstance(data, str):
        decoded = Decoded(data[:MAX_INPUT_BYTES], "str", len(data) > MAX_INPUT_BYTES)
    else:
        raw, truncated = _limit(_decompress(data) if data[:2] == b"\x1f\x8b" else data)
        _reject_binary(raw)
        decoded = _decode_bytes(raw, encoding, truncated)
    _reject_non_html(decoded.text)
    return decoded


def normalize_encoding(label: str | None) -> str | None:
    """The Python codec name for a charset label, or None if unknown or refused."""
    if not label:
        return None
    name = label.strip().strip("\"'").lower()
    name = _ALIASES.get(name, name)
    if name in _REFUSED:
        return None
    try:
        codec = codecs.lookup(name)
    except LookupError:
        return None
    return None if codec.name in _REFUSED else codec.name


def _limit(data: bytes) -> tuple[bytes, bool]:
    if len(data) > MAX_INPUT_BYTES:
        return data[:MAX_INPUT_BYTES], True
    return data, False


def _decompress(data: bytes) -> bytes:
    """Gunzip at most MAX_INPUT_BYTES + 1 bytes (a gzip bomb is cut, not inflated)."""
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        inflated = inflater.decompress(data, MAX_INPUT_BYTES + 1)
    except zlib.error as e:
        raise ExtractionError(f"corrupt gzip data: {e}") from e
    if not inflated and not inflater.eof:
        raise ExtractionError("corrupt gzip data: truncated stream")
    return inflated


def _reject_binary(data: bytes) -> None:
    if not data.strip():
        raise ExtractionError("empty input")
    for magic, kind in _BINARY_MAGIC:
        if data.startswith(magic):
            raise ExtractionError(f"binary input ({kind}), not HTML")


# Control characters (Unicode category Cc) other than tab, newline, form feed and carriage
# return, and the replacement character: signs of binary or wrongly decoded input.
_BAD_CHARS = re.compile("[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f\ufffd]")


def _reject_non_html(text: str) -> None:
    sample = text[:_SAMPLE_CHARS]
    if not sample.strip():
        raise ExtractionError("empty input")
    bad = len(_BAD_CHARS.findall(sample))
    if bad > 0.02 * len(sample):
        raise ExtractionError(f"binary or undecodable input ({bad} bad characters in sample)")
    if not _TAG.search(sample):
        raise ExtractionError("input has no HTML tags")


def _decode_bytes(data: bytes, hint: str | None, truncated: bool) -> Decoded:
    for codec, start in _candidates(data, hint):
        text = _strict_decode(data[start:], codec, final=not truncated)
        if text is not None:
            return Decoded(text, codec, truncated)
    declared = _declared(data, hint)
    fallback = declared[0] if declared else _mostly_utf8(data) or _detect(data) or "utf-8"
    return Decoded(data.decode(fallback, errors="replace"), fallback, truncated)


def _candidates(data: bytes, hint: str | None) -> list[tuple[str, int]]:
    """(codec, offset) pairs to try strictly, best evidence first."""
    bom = _bom(data)
    if bom is not None:
        return [bom]
    names = ["utf-8"] if not data.isascii() else []
    names += [codec for codec in _declared(data, hint) if codec not in names]
    if "utf-8" not in names:
        names.append("utf-8")
    return [(codec, 0) for codec in names]


def _declared(data: bytes, hint: str | None) -> list[str]:
    """Codecs the server and the page declare, in that order (browsers decode a declared
    encoding with replacement characters rather than guess)."""
    found: list[str] = []
    for label in (hint, _declared_charset(data[:_PRESCAN_BYTES])):
        codec = normalize_encoding(label)
        if codec is None:
            continue
        if codec.startswith("utf-16"):
            codec = "utf-8"  # a declared UTF-16 without a byte-order mark is a mistake
        if codec not in found:
            found.append(codec)
    return found


def _mostly_utf8(data: bytes) -> str | None:
    invalid = data.decode("utf-8", errors="replace").count("\ufffd")
    return "utf-8" if invalid <= 0.001 * len(data) else None


def _bom(data: bytes) -> tuple[str, int] | None:
    for mark, codec in _BOMS:
        if data.startswith(mark):
            return codec, len(mark)
    return None


def _declared_charset(head: bytes) -> str | None:
    match = _XML_DECLARATION.search(head) or _META_CHARSET.search(head)
    return match.group(1).decode("ascii") if match else None


def _strict_decode(data: bytes, name: str, final: bool) -> str | None:
    """Decode or return None; a truncated input may end inside a multi-byte character."""
    try:
        decoder = codecs.getincrementaldecoder(name)(errors="strict")
        return str(decoder.decode(data, final=final))
    except (UnicodeDecodeError, LookupError):
        return None


def _detect(data: bytes) -> str | None:
    from charset_normalizer import from_bytes

    sample = data if len(data) <= 20_000 else data[:10_000] + data[-10_000:]
    best = from_bytes(sample).best()
    return normalize_encoding(best.encoding) if best is not None else None
