"""Article writers: the extractive composer (no LLM), datelines and labels."""

from herald.write.base import ComposerWriter, SourceDoc, Writer
from herald.write.composer import compose
from herald.write.dateline import dateline, labels

__all__ = ["ComposerWriter", "SourceDoc", "Writer", "compose", "dateline", "labels"]
