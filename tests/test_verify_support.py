"""The support model: its features and the logistic fit behind its weights."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from herald.eval.verify_eval import cross_validate, fit_logistic, run_verify_eval
from herald.verify import support as sup
from herald.verify.checker import passages, source_support_index

SOURCE = (
    "The city council approved a budget of $2.4 million on Monday. "
    "Council member Ann Lee said the plan would fix 40 roads before winter. "
    "The mayor did not attend the vote."
)


class BagEmbedder:
    """A deterministic stand-in for MiniLM: normalised hashed bags of words."""

    dimensions = 64

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dimensions), dtype=np.float32)
        for i, text in enumerate(texts):
            for word in text.lower().split():
                out[i, sum(map(ord, word)) % self.dimensions] += 1.0
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return (out / np.maximum(norms, 1e-9)).astype(np.float32)


def _support(sentence: str) -> sup.SentenceSupport:
    found = passages(SOURCE)
    candidates = [(p.text, p.terms) for p in found]
    return sup.sentence_support(sentence, candidates, source_support_index(found), BagEmbedder())


def test_copied_sentence_is_fully_supported() -> None:
    s = _support("Council member Ann Lee said the plan would fix 40 roads before winter.")
    assert s.local == pytest.approx(1.0)
    assert s.bigrams == pytest.approx(1.0)
    assert s.novel_words == 0 and s.novel_numbers == 0 and s.negation == 0
    assert s.similarity > 0.9


def test_changed_facts_show_in_the_features() -> None:
    s = _support("Council member Bob Marsh said the plan would fix 45 bridges before winter.")
    assert s.novel_words >= 3  # bob, marsh, bridges
    assert s.novel_numbers == 1
    assert s.bigrams < 0.8
    negated = _support("The mayor attended the vote.")
    assert negated.negation == 1.0


def test_stitched_sentence_has_low_local_support() -> None:
    stitched = _support("Ann Lee did not attend the vote on the budget of $2.4 million.")
    copied = _support("The city council approved a budget of $2.4 million on Monday.")
    assert stitched.local < copied.local


def test_support_probability_prefers_supported_text() -> None:
    good = sup.features([_support("The city council approved a budget of $2.4 million.")])
    bad = sup.features([_support("The state senate rejected a tax of $9 million on Friday.")])
    assert sup.support_probability(good) > sup.THRESHOLD > sup.support_probability(bad)
    assert sup.features([]) == (0.0,) * len(sup.FEATURES)
    assert len(sup.WEIGHTS) == len(sup.FEATURES) + 1


def test_fit_logistic_and_grouped_cross_validation() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, 2))
    y = [int(a + 0.2 * rng.normal() > 0) for a in x[:, 0]]
    weights = fit_logistic(x.tolist(), y)
    assert weights[1] > 0 and abs(weights[2]) < weights[1] / 3
    groups = [f"doc{i // 4}" for i in range(200)]
    result = cross_validate(x.tolist(), y, groups, folds=5, repeats=2)
    assert result["balanced_accuracy"] > 0.85
    assert result["roc_auc"] > 0.9


def test_eval_verify_writes_each_pairs_features(tmp_path: Path) -> None:
    summaries = {
        "a": ("The council approved a budget.", 1),
        "b": ("The senate cut 90 jobs in Ohio.", 0),
        "c": ("Ann Lee said 40 roads get fixed.", 1),
        "d": ("A storm hit Texas on Friday.", 0),
    }
    rows = [  # one document each: cross-validation folds are grouped by document
        {"id": k, "document": f"{SOURCE} Filed as item {k}.", "summary": text, "label": label}
        for k, (text, label) in summaries.items()
    ]
    pairs = tmp_path / "pairs.jsonl"
    pairs.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    out = tmp_path / "out.jsonl"
    result = run_verify_eval(pairs, out, BagEmbedder(), fit=True)
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [line["id"] for line in lines] == ["a", "b", "c", "d"]
    assert list(lines[0]["features"]) == list(sup.FEATURES)
    assert lines[1]["features"]["novel_numbers"] == 1.0
    assert result["fit"]["in_sample"]["pairs"] == 4.0
    assert result["fit"]["in_sample"]["balanced_accuracy"] == 1.0
