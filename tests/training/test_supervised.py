"""Fixed-label runs through `train(cfg)`: EGP overfit → save → load → predict, the baseline, and a
Chinese run on a character encoder built from the training data."""

from __future__ import annotations

import json

import pytest

from spanlab.config import load_config
from spanlab.supervised.model import FixedLabelModel
from spanlab.training.recipe import train


def supervised_run(out, data: list[str], steps: int, extra=()):
    return load_config(None, [
        "model.dropout=0.0", "model.max_len=32", "model.head_size=16", *data,
        f"train.output_dir={out}", f"train.steps={steps}", "train.batch_size=8", "train.lr_encoder=3e-3",
        "train.lr_others=3e-3", "train.scheduler=constant_with_warmup", "train.warmup_ratio=0",
        f"train.eval_steps={steps}", "train.logging_steps=10", "train.threads=1", "train.max_grad_norm=1.0",
        *extra,
    ])


@pytest.mark.parametrize("head", ["egp", "tokencls"])
def test_overfit_save_load_predict(tiny_encoder_dir, tiny_corpus, tmp_path, head):
    data = tiny_corpus.suite / "tiny" / "test.json"
    run = tmp_path / "run"
    cfg = supervised_run(run, ["data.format=benchmark", f"data.train=[{data}]", f"data.dev={data}", f"data.test={data}"],
                         steps=80, extra=[f"model.head={head}", f"model.encoder={tiny_encoder_dir}"])
    final = train(cfg)

    summary = json.loads((run / "train_summary.json").read_text())
    assert summary["steps"] == 80 and summary["best_metric"] == 1.0 and summary["test_f1"] == 1.0
    report = json.loads((run / "eval" / "test.json").read_text())
    assert report["per_type"]["person"]["gold"] == 8 and report["per_type"]["city"]["gold"] == 7
    assert "| **micro** | 15 |" in (run / "eval" / "test.md").read_text()
    assert json.loads((run / "versions.json").read_text())["labels"] == ["city", "person"]

    model = FixedLabelModel.from_pretrained(final)
    found = model.predict(["Alice lives in Paris ."])[0]
    assert [(e["start"], e["end"], e["text"], e["label"]) for e in found] == [
        (0, 5, "Alice", "person"), (15, 20, "Paris", "city")]
    assert all(e["score"] > 0.5 for e in found)
    assert FixedLabelModel.from_pretrained(run / "checkpoint-80").labels == ["city", "person"]


def test_chinese_run_on_a_character_encoder(tmp_path):
    records = [
        {"text": "叶老桂在浙商银行工作", "label": {"name": {"叶老桂": [[0, 2]]}, "company": {"浙商银行": [[4, 7]]}}},
        {"text": "王小明去了招商银行", "label": {"name": {"王小明": [[0, 2]]}, "company": {"招商银行": [[5, 8]]}}},
        {"text": "李雷喜欢CSOL", "label": {"name": {"李雷": [[0, 1]]}, "game": {"CSOL": [[4, 7]]}}},
    ]
    data = tmp_path / "train.json"
    data.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in records), encoding="utf-8")
    run = tmp_path / "run"
    cfg = supervised_run(run, ["data.format=cluener", f"data.train=[{data}]", f"data.dev={data}"], steps=60, extra=[
        "model.head=gp", "model.labels=[name, company]",  # "game" is not in the type list: reported, a miss
        "model.char_encoder.layers=1", "model.char_encoder.width=32", "model.char_encoder.heads=2",
        "model.char_encoder.min_count=1", "model.char_encoder.max_positions=64",
    ])
    final = train(cfg)
    encoder = json.loads((final / "encoder" / "config.json").read_text())
    assert encoder["num_hidden_layers"] == 1 and encoder["hidden_size"] == 32
    assert not (run / "eval" / "test.json").exists()  # no test split: the final model is scored on dev
    dev = json.loads((run / "eval" / "dev.json").read_text())
    assert dev["unreachable_gold"] == {"label not in the type list": 1}
    assert (dev["tp"], dev["fp"], dev["fn"]) == (5, 0, 1)  # all 5 learnable spans found; "CSOL" (game) is a miss
    loaded = FixedLabelModel.from_pretrained(final)
    assert loaded.spec.char_encoder.width == 32 and loaded.spec.head == "gp"
    found = loaded.predict(["王小明去了招商银行"])[0]
    assert [(e["text"], e["label"]) for e in found] == [("王小明", "name"), ("招商银行", "company")]
