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
from itertools import repeat
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


_cut = None


def _segmenter():
    """jieba's segmentation, compiled: `rjieba` (jieba-rs, the same dictionary and algorithm in
    Rust) cuts a message about ten times faster than the pure-Python `jieba` — the larger part of
    the prediction time before (docs/text-intelligence.md). `jieba` stays the fallback."""
    global _cut
    if _cut is None:
        try:
            import rjieba

            _cut = lambda text: rjieba.cut(text, False)  # noqa: E731 - dictionary only, no HMM
        except ImportError:  # pragma: no cover - rjieba is a pinned dependency
            import jieba

            jieba.setLogLevel(logging.WARNING)
            jieba.initialize()
            _cut = lambda text: jieba.lcut(text, HMM=False)  # noqa: E731
    return _cut


# Whether a token is kept (not blank, not led by punctuation), remembered per token in two sets:
# tokens repeat endlessly, and the test took longer than the segmentation itself. Bounded: cleared
# when full.
_KEPT: set[str] = set()
_DROPPED: set[str] = set()
_REMEMBER_MAX = 500_000


def _kept(token: str) -> bool:
    if len(_KEPT) + len(_DROPPED) >= _REMEMBER_MAX:
        _KEPT.clear()
        _DROPPED.clear()
    if token.strip() and not unicodedata.category(token[0]).startswith("P"):
        _KEPT.add(token)
        return True
    _DROPPED.add(token)
    return False


def words(text: str) -> list[str]:
    """jieba words of a text (dictionary only, no HMM guessing of unknown words: the character
    n-grams cover those, and it is faster), without spaces and punctuation."""
    kept, dropped = _KEPT, _DROPPED
    return [w for w in _segmenter()(text) if w in kept or (w not in dropped and _kept(w))]


def char_grams(text: str) -> list[str]:
    """Character 1–3-grams of a (cleaned) text."""
    text = text.lower()
    size = len(text)
    return [text[i : i + n] for n in (1, 2, 3) for i in range(size - n + 1)]


# Character n-grams as integers, for the vectorised lookup at prediction (Block._transform_chars):
# a code point + 1 takes 21 bits (1 … 0x110000), so a 1-, 2- or 3-gram is one uint64 (c1,
# c1·2²¹+c2, c1·2⁴²+c2·2²¹+c3), and the three lengths never collide: every c is ≥ 1, so a 2-gram's
# key is ≥ 2²¹ > every 1-gram's, a 3-gram's ≥ 2⁴² (the +1 keeps NUL from making 0-led keys).
_CP_BITS = np.uint64(21)


def gram_keys(text: str) -> np.ndarray:
    """The keys of `char_grams(text)`, in the same order."""
    cp = np.frombuffer(text.lower().encode("utf-32-le"), dtype=np.uint32).astype(np.uint64) + np.uint64(1)
    if cp.size == 0:
        return cp
    two = (cp[:-1] << _CP_BITS) | cp[1:]
    three = (two[:-1] << _CP_BITS) | cp[2:]
    return np.concatenate([cp, two, three])


def pair_keys(text: str) -> np.ndarray:
    """The keys of the text's character pairs as written (not lower-cased)."""
    cp = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64) + np.uint64(1)
    return (cp[:-1] << _CP_BITS) | cp[1:]


def gram_key(gram: str) -> int:
    key = 0
    for ch in gram:
        key = (key << 21) | (ord(ch) + 1)
    return key


_GOLDEN = np.uint64(0x9E3779B97F4A7C15)  # Fibonacci hashing: multiply, keep the top bits


class GramTable:
    """A vocabulary of n-gram keys → columns as an open-addressing hash table (linear probing) in
    two numpy arrays, looked up for a whole batch at once: each probe round is one vectorised
    gather, and at a load of at most 0.4 nearly every key is found in the first round. (A binary
    search of the sorted keys was the larger part of the prediction time: ~17 cache-missing steps
    per n-gram.) Stored keys are key + 1, so 0 marks an empty slot."""

    def __init__(self, keys: np.ndarray, columns: np.ndarray):
        bits = max(10, int(np.ceil(np.log2(max(len(keys), 1) * 2.5))))
        self.shift = np.uint64(64 - bits)
        self.mask = np.int64((1 << bits) - 1)
        self.keys = np.zeros(1 << bits, dtype=np.uint64)
        self.columns = np.full(1 << bits, -1, dtype=np.int64)
        stored = keys.astype(np.uint64) + np.uint64(1)
        slots = self._slots(keys)
        pending = np.arange(len(keys))
        while pending.size:
            at = slots[pending]
            free = self.keys[at] == 0
            taken, first = np.unique(at[free], return_index=True)
            chosen = pending[free][first]
            self.keys[taken] = stored[chosen]
            self.columns[taken] = columns[chosen]
            placed = np.zeros(len(keys), dtype=bool)
            placed[chosen] = True
            pending = pending[~placed[pending]]
            slots[pending] = (slots[pending] + 1) & self.mask

    def _slots(self, keys: np.ndarray) -> np.ndarray:
        with np.errstate(over="ignore"):
            return ((keys * _GOLDEN) >> self.shift).astype(np.int64)

    def lookup(self, keys: np.ndarray) -> np.ndarray:
        """The column of each key, -1 where the key is not in the vocabulary."""
        stored = keys + np.uint64(1)
        slots = self._slots(keys)
        # The first round over every key without index arrays (most keys end here), then the few
        # keys that met another key in their slot probe on.
        seen = self.keys[slots]
        hit = seen == stored
        found = np.where(hit, self.columns[slots], -1)
        todo = np.flatnonzero(~hit & (seen != 0))
        slots[todo] = (slots[todo] + 1) & self.mask
        while todo.size:
            at = slots[todo]
            seen = self.keys[at]
            hit = seen == stored[todo]
            found[todo[hit]] = self.columns[at[hit]]
            todo = todo[~hit & (seen != 0)]
            slots[todo] = (slots[todo] + 1) & self.mask
        return found


# A message is analysed once into (title, body, title chars, body chars, title words, body words);
# every TF-IDF block picks its tokens from that, so no text is cut into n-grams or words twice.
TITLE, BODY, TITLE_CHARS, BODY_CHARS, TITLE_WORDS, BODY_WORDS = range(6)
CHAR_FIELDS = {TITLE_CHARS: TITLE, BODY_CHARS: BODY}  # an n-gram field → the text it is cut from


class Tokens:
    """The analyzer of one TF-IDF block: the tokens of some fields of an analysed message (a class,
    not a closure, so the model pickles)."""

    def __init__(self, *fields: int):
        self.fields = fields

    def __call__(self, row) -> list[str]:
        if len(self.fields) == 1:
            return row[self.fields[0]]
        return [token for field in self.fields for token in row[field]]


class Analysed(tuple):
    """One analysed message, indexable like the tuple (title, body, title chars, body chars, title
    words, body words). The n-gram lists are cut on first use only: at prediction the character
    blocks read integer keys from the texts instead (`Block._transform_chars`), and training
    reads the lists."""

    def __getitem__(self, index):
        value = tuple.__getitem__(self, index)
        if value is None and index in CHAR_FIELDS:
            return char_grams(tuple.__getitem__(self, CHAR_FIELDS[index]))
        return value

    def keys(self, source: int) -> np.ndarray:
        """`gram_keys` of the title or body, cut once for every block that reads them."""
        cache = self.__dict__
        found = cache.get(source)
        if found is None:
            found = cache[source] = gram_keys(tuple.__getitem__(self, source))
        return found


def _rows(titles, bodies, body_words: bool = True):
    rows = []
    for title, body in zip(titles, bodies, strict=True):
        title, body = clean_text(title), clean_text(body)
        rows.append(Analysed((title, body, None, None, words(title), words(body) if body_words else [])))
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

    def __getstate__(self):
        state = dict(self.__dict__)
        state.pop("_by_pair", None)  # rebuilt on first use; not part of the model file
        return state

    def _pairs(self):
        """The terms grouped by their first two characters, and a hash table of those pairs: a
        term (no spaces, ≥ 2 characters) can only occur in a text that holds its pair, so each
        text is searched only for the few terms whose pair it holds."""
        by_pair = getattr(self, "_by_pair", None)
        if by_pair is None:
            groups: dict[str, list] = {}
            for word, columns in self.owners_:
                groups.setdefault(word[:2], []).append((word, columns))
            pairs = list(groups)
            keys = np.fromiter((gram_key(p) for p in pairs), dtype=np.uint64, count=len(pairs))
            table = GramTable(keys, np.arange(len(pairs), dtype=np.int64))
            by_pair = self._by_pair = (table, [groups[p] for p in pairs])
        return by_pair

    def transform(self, rows):
        from scipy import sparse

        table, groups = self._pairs()
        counts = np.zeros((len(rows), max(len(self.columns_), 1)), dtype=np.float32)
        texts = [f"{row[TITLE]} {row[BODY]}" for row in rows]
        if groups and texts:
            keys = [pair_keys(text) for text in texts]
            docs = np.repeat(np.arange(len(texts), dtype=np.int64), [k.size for k in keys])
            found = table.lookup(np.concatenate(keys))
            held = found >= 0
            for code in np.unique(docs[held] * len(groups) + found[held]).tolist():
                i, group = divmod(code, len(groups))
                for word, columns in groups[group]:
                    if word in texts[i]:
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

        def __getstate__(self):
            state = super().__getstate__()
            state.pop("_gram_index", None)  # rebuilt on first use; not part of the model file
            return state

        def _char_sources(self):
            fields = getattr(self.analyzer, "fields", ())
            if fields and all(f in CHAR_FIELDS for f in fields):
                return [CHAR_FIELDS[f] for f in fields]
            return None

        def _index(self) -> GramTable:
            """The vocabulary's n-grams as a hash table of integer keys (built on first use)."""
            index = getattr(self, "_gram_index", None)
            if index is None:
                vocabulary = self.vocabulary_
                keys = np.fromiter((gram_key(g) for g in vocabulary), dtype=np.uint64, count=len(vocabulary))
                columns = np.fromiter(vocabulary.values(), dtype=np.int64, count=len(vocabulary))
                index = self._gram_index = GramTable(keys, columns)
            return index

        def _transform_chars(self, raw_documents, sources):
            """The character n-gram counts of a batch without a Python step per n-gram: every
            message's n-grams as integer keys (`gram_keys`), looked up in the vocabulary's hash
            table for the whole batch at once. The same counts as the token path (tested)."""

            parts, lengths = [], []
            for doc in raw_documents:
                found = [
                    doc.keys(source) if isinstance(doc, Analysed) else gram_keys(doc[source])
                    for source in sources
                ]
                found = found[0] if len(found) == 1 else np.concatenate(found)
                parts.append(found)
                lengths.append(found.size)
            n_docs = len(lengths)
            every = np.concatenate(parts) if parts else np.zeros(0, dtype=np.uint64)
            rows = np.repeat(np.arange(n_docs, dtype=np.int64), lengths)
            columns = self._index().lookup(every)
            known = columns >= 0
            return self._counts(rows[known], columns[known], n_docs)

        def _counts(self, rows, columns, n_docs):
            """The count matrix of (row, column) hits, in canonical form (sorted, summed): one
            sort of the batch's hits as row·V + column, instead of scipy sorting row by row."""
            from scipy import sparse

            width = len(self.vocabulary_)
            cells, counts = np.unique(rows * width + columns, return_counts=True)
            row_of = cells // width
            indptr = np.searchsorted(row_of, np.arange(n_docs + 1))
            matrix = sparse.csr_matrix(
                (counts.astype(self.dtype), (cells - row_of * width).astype(np.int32), indptr),
                shape=(n_docs, width),
            )
            matrix.has_canonical_format = True
            return matrix

        def transform(self, raw_documents):
            from sklearn.preprocessing import normalize

            sources = self._char_sources()
            if sources is not None:
                counts = self._transform_chars(raw_documents, sources)
            else:
                get = self.vocabulary_.get
                analyze = self.analyzer
                indices: list[int] = []
                lengths = []
                unknown = (-1).__ne__
                for doc in raw_documents:
                    tokens = analyze(doc)
                    before = len(indices)
                    indices.extend(filter(unknown, map(get, tokens, repeat(-1, len(tokens)))))
                    lengths.append(len(indices) - before)
                rows = np.repeat(np.arange(len(lengths), dtype=np.int64), lengths)
                counts = self._counts(rows, np.asarray(indices, dtype=np.int64), len(lengths))
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
