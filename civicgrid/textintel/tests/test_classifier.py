"""The classifier without the database: top-k with calibrated confidence, model files (round trip,
old format, altered, truncated, missing), bad text, CSV errors, cross-validation and calibration."""

from __future__ import annotations

import csv
import json
import random

import pytest

from civicgrid.core.errors import ServiceError
from civicgrid.textintel import classifier as clf
from civicgrid.textintel import training
from civicgrid.textintel.tests.corpus import corpus


@pytest.fixture(scope="module")
def model():
    examples = corpus()
    return clf.TextClassifier.fit(
        [e.title for e in examples],
        [e.body for e in examples],
        [e.label for e in examples],
        summary={"source": "test"},
    )


def test_top_k_is_ranked_with_probabilities(model):
    top = model.top("小区门口垃圾没人清理", "楼下垃圾堆放好几天了，很臭", k=3)
    assert top[0].label == "0101"
    assert len(top) == 3
    assert top[0].confidence >= top[1].confidence >= top[2].confidence
    assert top[2].confidence >= 0.0 and top[0].confidence <= 1.0
    assert model.summary["calibrated"] is True
    assert model.top("工地半夜打桩", "施工噪音太大")[0].label == "0301"


def test_extremely_long_text_is_cut_not_fatal(model):
    body = "施工噪音扰民" * 200_000  # 1.2 million characters
    assert len(clf.clean_text(body)) == clf.MAX_CHARS
    assert model.top("", body)[0].label == "0301"


def test_model_file_round_trip(model, tmp_path):
    path = tmp_path / "m.cgmodel"
    checksum = model.save(path)
    loaded = clf.load(path, checksum)
    assert loaded.labels == model.labels
    assert loaded.top("垃圾", "垃圾")[0] == model.top("垃圾", "垃圾")[0]
    assert loaded.summary["source"] == "test"


def _expect(code, path, checksum=None):
    with pytest.raises(clf.ModelFileError) as exc:
        clf.load(path, checksum)
    assert exc.value.code == code
    assert exc.value.message
    return exc.value


def test_old_format_version_is_a_clear_error(model, tmp_path):
    data = model.to_bytes()
    header, _sep, rest = data.partition(b"\n")
    old = json.loads(header)
    old["format_version"] = 0
    path = tmp_path / "old.cgmodel"
    path.write_bytes(json.dumps(old).encode() + b"\n" + rest)
    error = _expect("old_format", path)
    assert "train_classifier" in error.message


def test_missing_altered_truncated_and_foreign_files(model, tmp_path):
    _expect("missing_file", tmp_path / "nope.cgmodel")
    path = tmp_path / "m.cgmodel"
    checksum = model.save(path)
    path.write_bytes(path.read_bytes()[:-100])
    _expect("checksum_mismatch", path, checksum)
    _expect("unreadable", path)  # truncated pickle, no checksum given
    path.write_bytes(b"\x80\x04not json at all\n")
    _expect("not_a_model", path)


@pytest.mark.parametrize(
    ("title", "body", "code"),
    [
        ("", "", "empty_text"),
        ("  \t", "\n\u3000 ", "empty_text"),
        ("Hello", "The street light is broken", "not_chinese"),
    ],
)
def test_bad_message_text(title, body, code):
    with pytest.raises(ServiceError) as exc:
        training.check_message(title, body)
    assert exc.value.code == code
    assert exc.value.field == "body"


def _write_csv(path, header, rows):
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)


def test_csv_without_the_label_column_names_it(tmp_path):
    path = tmp_path / "x.csv"
    _write_csv(path, ["正文", "类别"], [["垃圾很多", "0101"]])
    with pytest.raises(ServiceError) as exc:
        training.examples_from_csv(path, text_col="正文", label_col="一级标签")
    assert exc.value.field == "label_col"
    assert "一级标签" in str(exc.value.message)
    with pytest.raises(ServiceError) as exc:
        training.examples_from_csv(tmp_path / "absent.csv", text_col="正文", label_col="类别")
    assert exc.value.field == "csv"
    path.write_bytes("正文,类别\n".encode("gbk") + "垃圾很多,0101\n".encode("gbk"))
    with pytest.raises(ServiceError) as exc:
        training.examples_from_csv(path, text_col="正文", label_col="类别")
    assert exc.value.code == "bad_csv"


def test_csv_rows_and_too_few_examples(tmp_path):
    path = tmp_path / "x.csv"
    _write_csv(
        path, ["标题", "正文", "类别"], [["t", "垃圾很多", "0101"], ["", "", "0101"], ["t", "噪音", ""]]
    )
    examples = training.examples_from_csv(path, text_col="正文", label_col="类别", title_col="标题")
    assert [(e.title, e.body, e.label) for e in examples] == [("t", "垃圾很多", "0101")]
    with pytest.raises(ServiceError) as exc:
        training.check_examples(examples)
    assert exc.value.code == "too_few_examples"


def test_cross_validation_reports_calibration():
    metrics = training.cross_validate(corpus(12), folds=3)
    assert metrics["folds"] == 3
    assert metrics["macro_f1"] > 0.8
    assert 0.0 <= metrics["calibration"]["ece"] <= 1.0
    assert sum(row["n"] for row in metrics["calibration"]["reliability"]) == 36
    assert set(metrics["per_label_f1"]) == {"0101", "0201", "0301"}


def test_a_class_with_two_examples_still_trains_uncalibrated():
    examples = corpus(10) + [training.Example("路灯不亮", "晚上路灯坏了", "0501")] * 2
    model = clf.TextClassifier.fit(
        [e.title for e in examples], [e.body for e in examples], [e.label for e in examples]
    )
    assert model.summary["calibrated"] is False
    top = model.top("路灯不亮", "路灯坏了")
    assert abs(sum(p.confidence for p in model.top("路灯", "路灯", k=4)) - 1.0) < 0.01
    assert top[0].label == "0501"


def test_label_terms_are_features_and_survive_the_file(tmp_path):
    examples = corpus(6)
    terms = {"0101": ["垃圾", "环卫"], "0201": ["小广告"], "0301": ["施工", "噪音"]}
    model = clf.TextClassifier.fit(
        [e.title for e in examples], [e.body for e in examples], [e.label for e in examples], terms=terms
    )
    assert model.summary["label_terms"] == 5
    path = tmp_path / "t.cgmodel"
    loaded = clf.load(path, model.save(path))
    assert loaded.top("", "环卫")[0].label == "0101"


def test_real_messages_small(shared_data):
    """A few hundred real messages (the bench uses all 1,377): the classifier learns them."""
    from sklearn.metrics import f1_score

    rows = {}
    with open(
        shared_data / "tipdm2020_c_gov_messages" / "attachment2_sample495_labeled.csv", encoding="utf-8"
    ) as f:
        for row in csv.DictReader(f):
            rows.setdefault(row["留言编号"], row)
    rows = list(rows.values())
    random.Random(0).shuffle(rows)  # the file is grouped by label
    train, test = rows[:300], rows[300:]
    model = clf.TextClassifier.fit(
        [r["留言主题"] for r in train], [r["留言详情"] for r in train], [r["一级标签"] for r in train]
    )
    predicted = model.predict([r["留言主题"] for r in test], [r["留言详情"] for r in test])
    assert f1_score([r["一级标签"] for r in test], predicted, average="macro") > 0.6


def test_the_fast_block_transform_equals_scikit_learns():
    from sklearn.feature_extraction.text import TfidfVectorizer

    examples = corpus(8)
    rows = clf._rows([e.title for e in examples], [e.body for e in examples])
    block = clf.block_vectorizer(clf.TITLE_CHARS, clf.BODY_CHARS).fit(rows)
    fresh = clf._rows(["东湖路垃圾没人管", "Hello"], ["施工噪音很大，半夜打桩", ""])
    ours = block.transform(fresh).toarray()
    theirs = TfidfVectorizer.transform(block, fresh).toarray()
    assert ours.shape == theirs.shape and abs(ours - theirs).max() < 1e-6


def test_a_model_file_loads_in_a_fresh_process(model, tmp_path):
    import subprocess
    import sys

    path = tmp_path / "m.cgmodel"
    checksum = model.save(path)
    code = (
        "import django, os; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'config.settings'); django.setup();"
        "from civicgrid.textintel import classifier as c;"
        f"print(c.load({str(path)!r}, {checksum!r}).top('垃圾', '垃圾堆')[0].label)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.stdout.strip() == "0101", out.stderr[-2000:]


def test_gram_keys_are_the_char_grams_as_integers():
    for text in ["", "a", "东湖", "噪音扰民ABC", "𠀀𠀁表情😀x\x00y", "Ａ１ 全角"]:
        assert gram_keys_list(text) == [clf.gram_key(g) for g in clf.char_grams(text)]


def gram_keys_list(text):
    return [int(k) for k in clf.gram_keys(text)]


def test_gram_table_finds_every_key_and_nothing_else():
    import numpy as np

    rng = np.random.default_rng(0)
    # Keys crowded into few hash slots as well as spread ones: probing must still find each.
    keys = np.unique(
        np.concatenate(
            [rng.integers(0, 2**62, 5000, dtype=np.uint64), np.arange(0, 3000, dtype=np.uint64) << 50]
        )
    )
    columns = rng.permutation(keys.size).astype(np.int64)
    table = clf.GramTable(keys, columns)
    assert (table.lookup(keys) == columns).all()
    strangers = np.setdiff1d(rng.integers(0, 2**62, 5000, dtype=np.uint64), keys)
    assert (table.lookup(strangers) == -1).all()
    assert clf.GramTable(np.zeros(0, dtype=np.uint64), np.zeros(0, dtype=np.int64)).lookup(keys).max() == -1


def test_the_fast_paths_equal_the_plain_ones_on_odd_text(model):
    """Character blocks (integer keys) and taxonomy terms (pair index) give what the token paths
    give, on non-BMP characters, control characters, full-width text and empty bodies."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    titles = ["𠀀垃圾😀", "", "Ａ１ 噪音", "油烟\x00扰民", "路灯不亮"]
    bodies = ["", "小区门口垃圾没人清理" * 30, "x", "楼下饭店油烟", "路灯坏了很久"]
    rows = clf._rows(titles, bodies)
    for name, block in model.estimator.named_steps["features"].transformer_list:
        if isinstance(block, TfidfVectorizer):
            ours = block.transform(rows).toarray()
            theirs = TfidfVectorizer.transform(block, rows).toarray()
            assert abs(ours - theirs).max() < 1e-6, name
    terms = clf.LabelTerms({"a": ["垃圾", "垃圾清理", "油烟"], "b": ["路灯", "噪音扰民"]}).fit(rows)
    naive = [[sum(w in f"{r[0]} {r[1]}" for w in terms.terms[label]) for label in ("a", "b")] for r in rows]
    assert (terms.transform(rows).toarray() > 0).tolist() == [[n > 0 for n in row] for row in naive]


def test_a_saved_model_carries_no_lookup_caches(model):
    import pickle

    model.probabilities(["垃圾"], ["垃圾堆"])  # builds the caches
    blob = pickle.dumps(model.estimator)
    assert b"_gram_index" not in blob and b"_by_pair" not in blob
