"""Every generated block with a number in it is rendered from data kept beside it (docs/generated/data/): rendered
again here, it must be what the page shows, so a sentence cannot outlive the run it came from."""
import json
import shutil

import pytest

from compare import docsdata


def test_every_generated_block_and_answer_is_what_its_data_renders():
    assert docsdata.stale() == []


def test_the_companion_counts_are_the_files_own():
    assert docsdata.kept("companion") == docsdata.companion_counts()


@pytest.mark.parametrize("doctor, caught", [
    (lambda d: d["runs"]["pytensor"]["timing"].update(ratio_to_reference=3.0, ratio_ci95=[2.9, 3.1]),
     {"default-run", "post1-conclusion", "post2-answer"}),
    (lambda d: d["parity"]["frameworks"]["torch"].update(verdict="FAIL"), {"default-run", "post1-answer"}),
])
def test_a_doctored_data_file_is_caught(tmp_path, monkeypatch, doctor, caught):
    data = tmp_path / "data"
    shutil.copytree(docsdata.DATA, data)
    found = json.loads((data / "default-run.json").read_text())
    doctor(found)
    (data / "default-run.json").write_text(json.dumps(found))
    monkeypatch.setattr(docsdata, "DATA", data)
    assert caught <= set(docsdata.stale())


@pytest.mark.parametrize("argv, said", [(["--help-me"], "unrecognized arguments: --help-me"),
                                        (["no-such-block"], "no block 'no-such-block'; the blocks: default-run, "),
                                        (["--render", "bench"], "--render renders every block")])
def test_bad_usage_of_the_generator_is_one_line_and_regenerates_nothing(capsys, monkeypatch, argv, said):
    monkeypatch.setattr(docsdata, "write", lambda *args: pytest.fail("a block was written"))
    monkeypatch.setattr(docsdata, "render_all", lambda: pytest.fail("the blocks were rendered"))
    with pytest.raises(SystemExit) as stop:
        docsdata.main(argv)
    err = capsys.readouterr().err
    assert stop.value.code == 2 and err.count("\n") == 1 and err.startswith("compare.docsdata: error: ")
    assert said in err
