"""Chinese readers on fixtures written here: CLUENER JSON lines, BMES (Resume), Weibo BIO."""

from __future__ import annotations

import json

import pytest

from spanlab.data.chinese import read_bmes, read_cluener, read_weibo
from spanlab.data.readers import ReadReport
from spanlab.data.schema import Span
from spanlab.errors import DataError


def spans_text(ex):
    return [(ex.text[ex.word_offsets[s.start][0] : ex.word_offsets[s.end][1]], s.label) for s in ex.spans]


def test_cluener_end_index_is_inclusive_and_mixed_script_is_kept(tmp_path):
    path = tmp_path / "train.json"
    records = [
        {"text": "浙商银行叶老桂博士", "label": {"company": {"浙商银行": [[0, 3]]}, "name": {"叶老桂": [[4, 6]]}}},
        {"text": "生生不息CSOL生化狂潮", "label": {"game": {"CSOL": [[4, 7]]}}},
        {"text": "没有标签的测试句"},  # the test split has no "label"
    ]
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in records) + "\n\n", encoding="utf-8")
    report = ReadReport()
    examples = read_cluener(path, report=report)
    assert report.read == 3
    assert spans_text(examples[0]) == [("浙商银行", "company"), ("叶老桂", "name")]
    assert spans_text(examples[1]) == [("CSOL", "game")]
    assert examples[1].words[4:8] == list("CSOL")  # character level, Latin letters included
    assert examples[2].spans == [] and examples[2].text == "没有标签的测试句"


def test_cluener_position_that_does_not_match_the_mention_names_file_line_and_type(tmp_path):
    path = tmp_path / "dev.json"
    good = {"text": "浙商银行", "label": {"company": {"浙商银行": [[0, 3]]}}}
    bad = {"text": "浙商银行", "label": {"company": {"浙商银行": [[0, 4]]}}}  # end exclusive by mistake
    path.write_text(json.dumps(good, ensure_ascii=False) + "\n" + json.dumps(bad, ensure_ascii=False) + "\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"dev.json:2:label.company.*inclusive"):
        read_cluener(path)


BMES = """高 B-NAME
勇 E-NAME
： O
男 O

中 B-ORG
国 M-ORG
银 M-ORG
行 E-ORG
A S-LOC


张 M-NAME
三 E-NAME
在 O
北 B-LOC
京 O
"""


def test_bmes_reads_and_repairs_invalid_sequences_with_counts(tmp_path):
    path = tmp_path / "train.char.bmes"
    path.write_text(BMES, encoding="utf-8")
    report = ReadReport()
    examples = read_bmes(path, report=report)
    assert len(examples) == 3  # two blank lines in a row are one separator
    assert spans_text(examples[0]) == [("高勇", "NAME")]
    assert spans_text(examples[1]) == [("中国银行", "ORG"), ("A", "LOC")]
    # M- with no open span starts one; B- never closed by E- ends before the next tag
    assert spans_text(examples[2]) == [("张三", "NAME"), ("北", "LOC")]
    assert report.repairs["M- continues no open NAME span (starts one)"] == 1
    assert report.repairs["LOC span not closed by E- (closed before)"] == 1
    assert report.first_seen["M- continues no open NAME span (starts one)"] == f"{path}:13:tag"
    assert examples[2].source == f"{path}:13"


def test_bmes_refuses_invalid_sequences_with_file_and_line(tmp_path):
    path = tmp_path / "train.char.bmes"
    path.write_text(BMES, encoding="utf-8")
    with pytest.raises(DataError, match=r"train.char.bmes:13:tag: invalid BMES sequence: M- continues"):
        read_bmes(path, invalid_tags="refuse")


def test_bmes_unknown_tag_prefix_is_an_error(tmp_path):
    path = tmp_path / "x.bmes"
    path.write_text("中 B-ORG\n国 X-ORG\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"x.bmes:2:tag: found tag 'X-ORG'"):
        read_bmes(path)


WEIBO = "科0\tO\n技1\tO\n李0\tB-PER.NAM\n开1\tI-PER.NAM\n复2\tI-PER.NAM\n\n\n" \
        "i0\tB-ORG.NAM\nP1\tI-ORG.NAM\n\ufffd\ufffd0\tO\n女0\tI-PER.NOM\n10\tO\n"


def test_weibo_keeps_the_first_character_and_repairs_bio(tmp_path):
    path = tmp_path / "weiboNER_2nd_conll.train"
    path.write_text(WEIBO, encoding="utf-8")
    report = ReadReport()
    examples = read_weibo(path, report=report)
    assert [ex.text for ex in examples] == ["科技李开复", "iP\ufffd女1"]
    assert spans_text(examples[0]) == [("李开复", "PER.NAM")]
    assert spans_text(examples[1]) == [("iP", "ORG.NAM"), ("女", "PER.NOM")]
    assert examples[1].spans[1] == Span(3, 3, "PER.NOM")
    assert report.repairs == {"token longer than one character (first kept)": 1,
                              "I- continues no open PER.NOM span (starts one)": 1}
    with pytest.raises(DataError, match=r"weiboNER_2nd_conll.train:11:tag"):
        read_weibo(path, invalid_tags="refuse")


def test_weibo_token_without_position_digits_is_an_error(tmp_path):
    path = tmp_path / "w.train"
    path.write_text("科0\tO\n技\tO\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"w.train:2:char: found token '技'"):
        read_weibo(path)
