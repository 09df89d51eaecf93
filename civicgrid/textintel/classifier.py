"""The learned text classifier: Chinese title + body → label, top-k with calibrated confidence.

Labels are plain strings (a category code when trained from the platform's own events, any label
column when trained from a CSV): this module knows nothing of events, cases or the database.

Features (see docs/text-intelligence.md for what was tried and what each gave):
* character 1–3-grams and jieba words (dictionary only), computed once per message for its title
  and its body; six TF-IDF blocks (sublinear tf, min_df 2) of the title, of the body and of the two
  together: the separate blocks let a word in the title weigh differently from the same word in
  the body, the joint ones keep the whole message's evidence;
* optionally the labels' taxonomy terms (category names and keywords): one feature per label;
* one linear SVM over all of them, calibrated by `CalibratedClassifierCV` (sigmoid, 3-fold
  out-of-fold scores), so the confidence of the top label is a probability that can be compared
  with a threshold.

A model file is one header line of JSON (magic, format version, labels, training summary) followed by
the pickled estimator. The header is read first: a file of another format version is refused with a
clear `ModelFileError` before anything is unpickled, and the file's SHA-256 must match the checksum
recorded when it was trained (model files are written only by `train_classifier`; never load a model
file from elsewhere — unpickling runs code).
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import pickle
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)

MAGIC = "civicgrid-text-model"
FORMAT_VERSION = 1
# Longer texts are cut: the first few thousand characters say what a message is about, and a
# pathological 10 MB paste must not stall a worker.
MAX_CHARS = 4000
TOP_K = 3


class ModelFileError(Exception):
    """A model file that cannot be used: missing, altered, of another format version, unreadable."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


def clean_text(text) -> str:
    """NFKC (full-width → half-width), whitespace runs → one space, cut to MAX_CHARS."""
    text = unicodedata.normalize("NFKC", str(text or ""))[: MAX_CHARS * 2]
    return " ".join(text.split())[:MAX_CHARS]


def has_chinese(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


_jieba = None


def _jieba_module():
    global _jieba
    if _jieba is None:
        import jieba

        jieba.setLogLevel(logging.WARNING)
        jieba.initialize()
        _jieba = jieba
    return _jieba


def words(text: str) -> list[str]:
    """jieba words of a text (dictionary only, no HMM guessing of unknown words: the character
    n-grams cover those, and it is faster), without spaces and punctuation."""
    return [
        w
        for w in _jieba_module().lcut(text, HMM=False)
        if w.strip() and not unicodedata.category(w[0]).startswith("P")
    ]


def char_grams(text: str) -> list[str]:
    """Character 1–3-grams of a (cleaned) text."""
    text = text.lower()
    size = len(text)
    return [text[i : i + n] for n in (1, 2, 3) for i in range(size - n + 1)]


# A message is analysed once into (title, body, title chars, body chars, title words, body words);
# every TF-IDF block picks its tokens from that, so no text is cut into n-grams or words twice.
TITLE, BODY, TITLE_CHARS, BODY_CHARS, TITLE_WORDS, BODY_WORDS = range(6)


class Tokens:
    """The analyzer of one TF-IDF block: the tokens of some fields of an analysed message (a class,
    not a closure, so the model pickles)."""

    def __init__(self, *fields: int):
        self.fields = fields

    def __call__(self, row) -> list[str]:
        if len(self.fields) == 1:
            return row[self.fields[0]]
        return [token for field in self.fields for token in row[field]]


def _rows(titles, bodies, body_words: bool = True):
    rows = []
    for title, body in zip(titles, bodies, strict=True):
        title, body = clean_text(title), clean_text(body)
        rows.append(
            (
                title,
                body,
                char_grams(title),
                char_grams(body),
                words(title),
                words(body) if body_words else [],
            )
        )
    return rows


# Profiles: "accurate" (six blocks, the default) and "fast" (title and body characters, title words:
# no jieba over the body, each n-gram looked up once; see docs/text-intelligence.md for the trade).
PROFILES = ("accurate", "fast")


class LabelTerms:
    """Taxonomy keywords as features: for each label, log(1 + how many of its terms occur in the
    title + body), times `weight`. `terms` maps a label to its words (category names, keywords,
    the sub-categories of a label tree); a term of several labels counts for each."""

    def __init__(self, terms: dict[str, list[str]] | None = None, weight: float = 0.7):
        self.terms = terms or {}
        self.weight = weight

    def fit(self, rows, y=None):
        labels = sorted(self.terms)
        self.columns_ = {label: i for i, label in enumerate(labels)}
        owners: dict[str, list[int]] = {}
        for label, words in self.terms.items():
            for word in words:
                word = clean_text(word).replace(" ", "")
                if len(word) >= 2:
                    owners.setdefault(word, []).append(self.columns_[label])
        self.owners_ = sorted(owners.items())
        return self

    def transform(self, rows):
        from scipy import sparse

        counts = np.zeros((len(rows), max(len(self.columns_), 1)), dtype=np.float32)
        for i, row in enumerate(rows):
            text = f"{row[TITLE]} {row[BODY]}"
            for word, columns in self.owners_:
                if word in text:
                    counts[i, columns] += 1.0
        return sparse.csr_matrix(np.log1p(counts) * self.weight)

    def fit_transform(self, rows, y=None):
        return self.fit(rows, y).transform(rows)

    def get_params(self, deep=True):
        return {"terms": self.terms, "weight": self.weight}

    def set_params(self, **params):
        for key, value in params.items():
            setattr(self, key, value)
        return self


def _block_class():
    from sklearn.feature_extraction.text import TfidfVectorizer

    class Block(TfidfVectorizer):
        """TfidfVectorizer with a faster `transform` for pre-analysed tokens: the vocabulary is
        looked up with `dict.get` through `map` (scikit-learn raises and catches a KeyError for
        every unknown token, and with min_df=2 a third of a new message's n-grams are unknown);
        counting is left to scipy. Same result as the parent's transform (tested)."""

        def transform(self, raw_documents):
            from scipy import sparse
            from sklearn.preprocessing import normalize

            get = self.vocabulary_.get
            analyze = self.analyzer
            indices: list[int] = []
            indptr = [0]
            for doc in raw_documents:
                indices.extend(j for j in map(get, analyze(doc)) if j is not None)
                indptr.append(len(indices))
            counts = sparse.csr_matrix(
                (np.ones(len(indices), dtype=self.dtype), np.asarray(indices, dtype=np.int64), indptr),
                shape=(len(indptr) - 1, len(self.vocabulary_)),
            )
            counts.sum_duplicates()
            if self.sublinear_tf:
                np.log(counts.data, counts.data)
                counts.data += 1
            if self.use_idf:
                counts.data *= self.idf_.astype(self.dtype)[counts.indices]
            return normalize(counts, norm=self.norm, copy=False) if self.norm else counts

    Block.__module__ = __name__
    Block.__qualname__ = "Block"
    return Block


_BLOCK = None


def __getattr__(name):
    # `Block` is made on first use (scikit-learn is imported lazily, not when the intake starts);
    # pickle finds it here when a model file is loaded.
    if name == "Block":
        return _block()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _block():
    global _BLOCK
    if _BLOCK is None:
        _BLOCK = _block_class()
    return _BLOCK


def block_vectorizer(*fields):
    # min_df=2: an n-gram seen in one training message cannot generalise; dropping those keeps the
    # vocabularies (and the model's memory) several times smaller.
    return _block()(analyzer=Tokens(*fields), sublinear_tf=True, min_df=2, dtype=np.float32)


def build_estimator(
    c: float = 1.0,
    calibrate: bool = True,
    terms: dict | None = None,
    terms_weight: float = 0.7,
    profile: str = "accurate",
):
    """The unfitted scikit-learn pipeline over rows of (title, body)."""
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.pipeline import FeatureUnion, Pipeline
    from sklearn.svm import LinearSVC

    block = block_vectorizer

    if profile == "fast":
        blocks = [
            ("title_chars", block(TITLE_CHARS)),
            ("body_chars", block(BODY_CHARS)),
            ("title_words", block(TITLE_WORDS)),
        ]
    else:
        blocks = [
            ("text_chars", block(TITLE_CHARS, BODY_CHARS)),
            ("text_words", block(TITLE_WORDS, BODY_WORDS)),
            ("title_chars", block(TITLE_CHARS)),
            ("body_chars", block(BODY_CHARS)),
            ("title_words", block(TITLE_WORDS)),
            ("body_words", block(BODY_WORDS)),
        ]
    if terms:
        blocks.append(("label_terms", LabelTerms(terms, terms_weight)))
    svm = LinearSVC(C=c)
    # ensemble=False: one SVM fitted on all the data, calibrated on 3-fold out-of-fold scores (not
    # three SVMs kept side by side: a third of the memory and of the prediction time).
    model = CalibratedClassifierCV(svm, method="sigmoid", cv=3, ensemble=False) if calibrate else svm
    return Pipeline([("features", FeatureUnion(blocks)), ("model", model)])


@dataclass(frozen=True)
class Prediction:
    label: str
    confidence: float


class TextClassifier:
    """A fitted classifier with its labels and a summary of what it was trained on."""

    def __init__(self, estimator, summary: dict | None = None):
        self.estimator = estimator
        self.summary = summary or {}

    @property
    def labels(self) -> list[str]:
        return [str(label) for label in self.estimator.classes_]

    @classmethod
    def fit(
        cls,
        titles,
        bodies,
        labels,
        weights=None,
        *,
        c: float = 1.0,
        terms: dict | None = None,
        summary: dict | None = None,
        profile: str = "accurate",
    ):
        labels = [str(label) for label in labels]
        counts: dict[str, int] = {}
        for label in labels:
            counts[label] = counts.get(label, 0) + 1
        # Calibration needs 3 folds with every class: fewer than 3 examples of a class → plain SVM
        # scores squashed to probabilities (still ranked, flagged in the summary).
        calibrate = len(counts) >= 2 and min(counts.values()) >= 3
        if profile not in PROFILES:
            raise ValueError(f"unknown profile {profile!r}")
        estimator = build_estimator(c=c, calibrate=calibrate, terms=terms, profile=profile)
        fit_params = {"model__sample_weight": np.asarray(weights, dtype=float)} if weights is not None else {}
        estimator.fit(_rows(titles, bodies, profile != "fast"), labels, **fit_params)
        summary = dict(summary or {})
        summary.setdefault("counts", dict(sorted(counts.items())))
        summary["calibrated"] = calibrate
        summary["profile"] = profile
        summary["label_terms"] = sum(len(v) for v in (terms or {}).values())
        return cls(estimator, summary)

    def probabilities(self, titles, bodies) -> np.ndarray:
        rows = _rows(titles, bodies, self.summary.get("profile") != "fast")
        if hasattr(self.estimator, "predict_proba"):
            return self.estimator.predict_proba(rows)
        scores = np.atleast_2d(self.estimator.decision_function(rows))
        if scores.shape[1] == 1:  # two classes: one column of scores
            scores = np.hstack([-scores, scores])
        exp = np.exp(scores - scores.max(axis=1, keepdims=True))
        return exp / exp.sum(axis=1, keepdims=True)

    def predict(self, titles, bodies) -> list[str]:
        labels = self.labels
        return [labels[i] for i in self.probabilities(titles, bodies).argmax(axis=1)]

    def top(self, title: str, body: str, k: int = TOP_K) -> list[Prediction]:
        """The k most likely labels, best first, with calibrated confidence."""
        probs = self.probabilities([title], [body])[0]
        labels = self.labels
        order = np.argsort(-probs, kind="stable")[:k]
        return [Prediction(labels[i], round(float(probs[i]), 4)) for i in order]

    # --- files ------------------------------------------------------------------------------------

    def to_bytes(self) -> bytes:
        import sklearn

        header = {
            "magic": MAGIC,
            "format_version": FORMAT_VERSION,
            "labels": self.labels,
            "sklearn": sklearn.__version__,
            "summary": self.summary,
        }
        buffer = io.BytesIO()
        buffer.write(json.dumps(header, ensure_ascii=False).encode() + b"\n")
        pickle.dump(self.estimator, buffer, protocol=pickle.HIGHEST_PROTOCOL)
        return buffer.getvalue()

    def save(self, path: Path) -> str:
        """Write the model file (atomically: a temporary file renamed); returns its SHA-256."""
        data = self.to_bytes()
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(path.suffix + ".tmp")
        tmp.write_bytes(data)
        tmp.replace(path)
        return hashlib.sha256(data).hexdigest()


def read_header(data: bytes) -> dict:
    line, _sep, _rest = data.partition(b"\n")
    try:
        header = json.loads(line.decode())
    except (UnicodeDecodeError, ValueError):
        header = None
    if not isinstance(header, dict) or header.get("magic") != MAGIC:
        raise ModelFileError("not_a_model", _("不是 CivicGrid 文本模型文件"))
    return header


def load(path, checksum: str | None = None) -> TextClassifier:
    """Read a model file; ModelFileError (never another exception) when it cannot be used."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise ModelFileError(
            "missing_file", _("模型文件无法读取：%(error)s") % {"error": exc.strerror or exc}
        ) from None
    if checksum and hashlib.sha256(data).hexdigest() != checksum:
        raise ModelFileError("checksum_mismatch", _("模型文件的校验和与登记不符，文件可能被替换或损坏"))
    header = read_header(data)
    version = header.get("format_version")
    if version != FORMAT_VERSION:
        raise ModelFileError(
            "old_format",
            _("模型文件格式版本为 %(found)s，本系统需要 %(needed)s：请用 train_classifier 重新训练")
            % {"found": version, "needed": FORMAT_VERSION},
        )
    try:
        estimator = pickle.loads(data.partition(b"\n")[2])  # noqa: S301 - checksum-verified own file
        model = TextClassifier(estimator, header.get("summary") or {})
        model.labels  # noqa: B018 - reads classes_: fails on a foreign estimator
    except Exception as exc:  # a truncated pickle or a scikit-learn that cannot read it
        logger.warning("text model %s unreadable: %r", path, exc)
        raise ModelFileError("unreadable", _("模型文件无法读取（可能已损坏或由不兼容的版本生成）")) from None
    return model
