"""Claim-by-claim verification of drafts against their cited sources."""

from herald.verify.checker import score_pair, verify
from herald.verify.sensitive import is_sensitive, sensitive_topics

__all__ = ["is_sensitive", "score_pair", "sensitive_topics", "verify"]
