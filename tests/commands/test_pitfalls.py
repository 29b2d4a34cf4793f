"""The pitfalls gallery: every pair follows the contract of your own code, each differs only in its pitfall's lines,
and a sample runs as `python -m compare pitfalls` runs them: each as-ported file caught at the quantity its
pitfall.toml names, each lined-up file passing. (The whole gallery runs for the site: python -m compare.docsdata
pitfalls.)"""
import json
import subprocess
import sys
from collections import Counter, defaultdict

import pytest

from compare import cli
from compare.commands import gallery, pitfalls
from compare.errors import ProblemError
from compare.own import contract
from compare.problem import Config

GALLERY = pitfalls.gallery()
PAGES = pitfalls.GALLERY.parent / "docs" / "pitfalls"  # the site's pages of the gallery, and its last run
LOOP_FIELDS = {"weight_decay", "l2", "schedule", "clip_norm", "clip_value", "norm"}
HINT = "add forward(x, weights) and backward(layers, y, weights) to compare them"
# One pitfall of each framework the sample can afford, each pair some 6 to 8 s on two cores (PyTensor's numba compile
# included); a raw TensorFlow pair costs more (each of its two workers imports TensorFlow), and Keras's, on the
# TensorFlow backend, stands in for that import. The whole gallery runs for the site.
SAMPLE = ("mse-is-a-mean", "relu-slope-at-zero", "keras-adam-defaults", "pytensor-maximum-slope-at-zero")
# Frameworks whose files load in another's process: Keras on its TensorFlow backend imports TensorFlow anyway.
PROCESS = {"tensorflow": "keras"}

# Each file loaded by the contract's own adapter and trained two epochs, one process per framework.
LOAD = """
import json, sys
import numpy as np
from compare.own import contract
from compare.problem import Config, dataset
for path, options in json.loads(sys.argv[1]):
    config = Config(**{k: tuple(v) if isinstance(v, list) else v for k, v in options.items()})
    x, y = dataset(config.dataset)
    net = contract.adapted(path).Network(config.initial_weights(), config.learning_rate, config.dtype,
                                         **({"batch_size": config.batch_size} if config.batch_size else {}))
    history = net.fit(x, y, 2)
    assert len(history["loss"]) == 2 and np.isfinite(history["loss"]).all(), path
    net.get_weights(), net.predict(x)
print("ok")
"""


def test_the_gallery_holds_at_least_the_thirty_pitfalls_each_a_handful_of_lines():
    assert len(GALLERY) >= 30
    loop = [p.name for p in GALLERY if set(p.options) & LOOP_FIELDS]
    # the training loop's options: weight decay, L2, schedules, clipping, normalization layers (three at least)
    assert len(loop) >= 12, loop
    assert len([p.name for p in GALLERY if "norm" in p.options]) >= 3
    by_framework = Counter(p.framework for p in GALLERY)  # two at least for each framework written by hand
    assert all(by_framework[name] >= 2 for name in ("torch", "tensorflow", "pytensor", "jax", "keras")), by_framework
    for pitfall in GALLERY:
        changed = pitfalls.lines_changed(pitfall.as_ported.read_text(), pitfall.lined_up.read_text())
        assert 1 <= changed <= 5, (pitfall.name, changed)
        assert pitfall.threads and all(url.startswith("https://github.com/") for url in pitfall.threads)
        for path in (pitfall.as_ported, pitfall.lined_up):  # what a file declares is what its pitfall runs
            declared = contract.declared_network(str(path))
            assert all(pitfall.options.get(key) == value for key, value in declared.items()), (path, declared)


def test_every_file_follows_the_contract_of_your_own_code():
    by_process = defaultdict(list)
    for pitfall in GALLERY:
        options = {k: v for k, v in pitfall.options.items() if k in ("dataset", "hidden", "dtype", "learning_rate",
                                                                     "batch_size")}
        by_process[PROCESS.get(pitfall.framework, pitfall.framework)] += [
            (str(path), options) for path in (pitfall.as_ported, pitfall.lined_up)]
    # The processes side by side: most of each one's time is its framework's import.
    procs = {framework: subprocess.Popen([sys.executable, "-c", LOAD, json.dumps(files)], stdout=subprocess.PIPE,
                                         stderr=subprocess.PIPE, text=True)
             for framework, files in by_process.items()}
    try:
        for framework, proc in procs.items():
            out, err = proc.communicate(timeout=300)
            assert proc.returncode == 0 and out.strip() == "ok", (framework, err[-2000:])
    finally:  # none left running past a failure
        for proc in procs.values():
            if proc.poll() is None:
                proc.kill()
                proc.wait()


def test_a_sample_of_pitfalls_is_caught_where_its_metadata_says_and_lined_up_passes(tmp_path, capsys):
    code = cli.main(["pitfalls", "--only", ",".join(SAMPLE), "--out", str(tmp_path)])
    captured = capsys.readouterr()
    data = json.loads((tmp_path / "pitfalls.json").read_text())
    for entry in data["pitfalls"]:
        # A release that changes one of these defaults makes its pitfall stop biting: update the gallery.
        assert entry["ok"], f"pitfall {entry['name']}: {entry['problem']} — a framework's default changed? update " \
                            f"pitfalls/{entry['name']}"
        ported, lined = entry["as_ported"], entry["lined_up"]
        assert ported["verdict"] == "FAIL" and ported["quantity"] == entry["names"] and ported["epoch"] == 1
        assert ported["max_abs_loss_diff"] > entry["tolerance"] >= lined["max_abs_loss_diff"]
        assert lined["verdict"] == "pass" and entry["lines_changed"] >= 1
        assert (tmp_path / entry["figure"]).stat().st_size > 0
        assert f"  {entry['name']} … caught at the {entry['names']}" in captured.err
    assert [e["name"] for e in data["pitfalls"]] == sorted(SAMPLE)
    report = (tmp_path / "pitfalls.md").read_text()
    for entry in data["pitfalls"]:
        assert entry["title"] in report and pitfalls.sentence(entry["as_ported"]["diagnosis"]) in report
    assert "```diff" in report and code == 0
    # The hint to a file's author is said once, under the diagnoses, not inside each of them.
    assert report.count(HINT) == 1 and not any(HINT in entry["as_ported"]["diagnosis"] for entry in data["pitfalls"])


def test_a_momentum_written_the_other_way_round_is_caught_at_the_running_statistics(tmp_path, capsys):
    """Keras's BatchNormalization(momentum=0.99) as torch's BatchNorm1d(momentum=0.99): training normalizes by the
    batch's own statistics, so the loss cannot show it; the running mean, compared step by step, does, and the suite
    names the momentum written the other way round."""
    name = "torch-batchnorm-momentum-as-written"
    code = cli.main(["pitfalls", "--only", name, "--out", str(tmp_path)])
    capsys.readouterr()
    entry = json.loads((tmp_path / "pitfalls.json").read_text())["pitfalls"][0]
    ported, lined = entry["as_ported"], entry["lined_up"]
    assert code == 0 and entry["ok"], entry["problem"]
    assert ported["verdict"] == "FAIL" and (ported["quantity"], ported["epoch"]) == ("statistics", 1)
    assert ported["max_abs_loss_diff"] <= entry["tolerance"]  # the loss agrees: the running statistics do not
    assert "the running mean of l1's normalization is exactly 99× the reference's" in ported["diagnosis"]
    assert "the momentum written the other way round" in ported["diagnosis"]
    assert lined["verdict"] == "pass"


def test_a_pitfall_that_no_longer_bites_is_reported_and_exits_1(tmp_path, monkeypatch, capsys):
    """A lined-up file in place of its as-ported one: the suite passes it, and the command says so."""
    folder = tmp_path / "gallery" / "lined-up-twice"
    folder.mkdir(parents=True)
    source = pitfalls.GALLERY / "mse-is-a-mean"
    for name in ("lined_up.py", "pitfall.toml"):
        (folder / name).write_text((source / name).read_text())
    (folder / "as_ported.py").write_text((source / "lined_up.py").read_text())
    monkeypatch.setattr(pitfalls, "GALLERY", tmp_path / "gallery")
    code = cli.main(["pitfalls", "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 1
    assert "compare: pitfall lined-up-twice: the as-ported file was not caught: pass" in err
    assert json.loads((tmp_path / "out" / "pitfalls.json").read_text())["pitfalls"][0]["ok"] is False


@pytest.mark.parametrize("toml, message", [
    ('title = "t"', "no 'framework'"),
    ('title = "t"\nframework = "torch"\nnames = "loss"\nwhy = "w"\nthreads = []\noptions = {}\ncolour = 1',
     "unknown key 'colour'"),
    ('title = "t"\nframework = "torch"\nnames = "weights"\nwhy = "w"\nthreads = []\noptions = {}',
     "names 'weights', not one of forward, statistics, loss, gradient, update"),
    ('title = "t"\nframework = "torch"\nnames = "loss"\nwhy = "w"\nthreads = []\noptions = {epochs = 0}',
     "options: "),
    ('title = [', "not TOML"),
])
def test_a_pitfall_toml_that_is_not_as_documented_is_refused_in_one_line(tmp_path, toml, message):
    (tmp_path / "pitfall.toml").write_text(toml)
    for name in ("as_ported.py", "lined_up.py"):
        (tmp_path / name).write_text("def train(x, y, weights, epochs, learning_rate, dtype): pass\n")
    with pytest.raises(ProblemError, match="pitfall.toml: ") as err:
        pitfalls.load(tmp_path)
    assert message in str(err.value) and "\n" not in str(err.value)


def test_lines_changed_counts_the_longer_side_of_each_block():
    assert pitfalls.lines_changed("a\nb\nc\n", "a\nB\nc\n") == 1
    assert pitfalls.lines_changed("a\nc\n", "a\nb1\nb2\nc\n") == 2
    assert pitfalls.lines_changed("a\n", "a\n") == 0
    assert Config(**GALLERY[0].options)  # each pitfall's options are a run's


@pytest.mark.parametrize("args, message", [
    (["--only", "nosuch"], "no pitfall 'nosuch' (choose from bce-clipped-where-outputs-saturate, "),
    (["--only", ","], "argument --only: must be pitfall names separated by commas, got ','"),
    (["--out", "{file}/sub"], "cannot write to --out '{file}/sub'"),
])
def test_bad_input_exits_2_with_one_line_and_writes_nothing(tmp_path, args, message):
    (tmp_path / "file").write_text("a file, not a folder")
    args = [arg.format(file=tmp_path / "file") for arg in args]
    proc = subprocess.run([sys.executable, "-m", "compare", "pitfalls", *args], capture_output=True, text=True,
                          cwd=tmp_path, timeout=120)
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.splitlines() == [proc.stderr.strip()] and proc.stderr.startswith("compare: error: ")
    assert message.format(file=tmp_path / "file") in proc.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file"]


def test_the_site_has_a_page_per_pitfall_that_opens_on_its_diff_and_a_card_for_each_on_the_index():
    """Read from the generated Markdown (python -m compare.docsdata pitfalls), as it was written from the last run."""
    data = json.loads((PAGES / "pitfalls.json").read_text())
    assert sorted(entry["name"] for entry in data["pitfalls"]) == sorted(p.name for p in GALLERY), \
        "the gallery changed since its pages were written: python -m compare.docsdata pitfalls"
    index = (PAGES / "index.md").read_text()
    held = "every as-ported file caught, every lined-up file passing"
    assert index == gallery.index(data, held), "docs/pitfalls/index.md is not as its run writes it"
    for entry in data["pitfalls"]:
        name, folder = entry["name"], f"../../pitfalls/{entry['name']}"
        text = (PAGES / f"{name}.md").read_text()
        assert text == gallery.page(entry, "../.."), f"docs/pitfalls/{name}.md is not as its run writes it"
        blocks = [block for block in text.split("\n\n") if not block.startswith("<!--")]
        assert blocks[0] == f"# {entry['title']}"  # the title, then the diff from the as-ported file to the lined-up
        assert blocks[1] == f"```{{literalinclude}} {folder}/lined_up.py\n:diff: {folder}/as_ported.py\n```"
        assert (PAGES / entry["figure"]).stat().st_size > 0 and f"]({entry['figure']})" in text
        for file in ("as_ported.py", "lined_up.py"):
            assert f"{{download}}`{file} <{folder}/{file}>`" in text
        assert all(f"({url})" in text for url in entry["threads"]) and HINT not in text
        assert entry["ok"] and f"**As ported: FAIL**, caught at the {entry['names']}, epoch 1." in text
        assert f":link: {name}\n" in index and f":img-top: {entry['figure']}\n" in index
    assert (PAGES.parent / "index.md").read_text().count("pitfalls/index") >= 1  # in the site's toctree


def test_a_thread_is_named_by_its_repository_and_number():
    assert gallery.thread("https://github.com/pytorch/pytorch/issues/45735") == "pytorch/pytorch#45735"
    assert gallery.thread("https://github.com/GPflow/GPflow/pull/2021") == "GPflow/GPflow#2021"
    assert gallery.thread("https://github.com/a/b/discussions/3") == "https://github.com/a/b/discussions/3"
