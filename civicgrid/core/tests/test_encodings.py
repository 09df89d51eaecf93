"""The shared codec guess for imported text files."""

from civicgrid.core.encodings import declared_encoding, guess_encoding, read_sample


def test_guesses_bom_utf8_and_gb(tmp_path):
    text = "区划代码,名称\n110101001001,东华门街道多福巷社区\n" * 200
    assert guess_encoding(text.encode("utf-8"), truncated=False) == "utf-8-sig"
    assert guess_encoding(b"\xef\xbb\xbf" + text.encode("utf-8"), truncated=False) == "utf-8-sig"
    assert guess_encoding(text.encode("utf-16"), truncated=False) == "utf-16"
    assert guess_encoding(text.encode("gbk"), truncated=False) == "gb18030"
    # A UTF-8 character cut by the end of a sample is still UTF-8.
    assert guess_encoding(text.encode("utf-8")[:-1] + "区".encode()[:2], truncated=True) == "utf-8-sig"
    assert (declared_encoding("auto"), declared_encoding("UTF_8"), declared_encoding("gbk")) == (
        None,
        "utf-8-sig",
        "gbk",
    )
    path = tmp_path / "f.csv"
    path.write_bytes(b"abcdef")
    assert read_sample(path, 4) == (b"abcd", True)
    assert read_sample(path, 6) == (b"abcdef", False)
