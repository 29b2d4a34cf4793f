"""The notebooks offered for download are the companion files as they are, with the output of their run: made from
the files now, they are the same; run now, they print the same; and what they print is NumPy's, to the digit."""
import hashlib

import pytest

import companion
from compare.frameworks import FRAMEWORKS
from tests.schedule import imports_longest_first
from tests.test_companion import printed_by_numpy

nbformat = pytest.importorskip("nbformat")
pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")
from companion import notebooks  # noqa: E402  (it needs the three above)

REMAKE = "run `python -m compare.docsdata notebooks` to make them again"


def committed(source):
    return nbformat.read(notebooks.path_of(source), as_version=4)


def test_each_notebook_is_made_from_its_file_as_it_is():
    for _, source in notebooks.sources():
        made, kept = notebooks.make(source), committed(source)
        assert [(c.id, c.cell_type, c.source) for c in kept.cells] == [(c.id, c.cell_type, c.source)
                                                                        for c in made.cells], f"{source.name}: {REMAKE}"


def test_each_notebook_printed_numpys_numbers_and_the_pages_tables_are_theirs():
    for kind, table in (("blog", "notebooks.md"), ("deep", "notebooks-deep.md")):
        expected = printed_by_numpy(kind)
        kept = {framework: committed(source) for framework, source in notebooks.sources() if kind in source.stem}
        for framework, notebook in kept.items():
            assert notebooks.printed(notebook) == expected, f"{framework}_{kind}: {REMAKE}"
        assert (companion.HERE.parent / "docs" / "generated" / table).read_text() == notebooks.table(kept), REMAKE
    kept = {framework: committed(source) for framework, source in notebooks.sources() if source.stem.endswith("_loop")}
    expected = notebooks.printed(kept["numpy"])
    assert expected.splitlines()[-1].startswith("stopped at epoch")
    for framework, notebook in kept.items():
        assert notebooks.printed(notebook) == expected, f"{framework}_loop: {REMAKE}"
    loops = (companion.HERE.parent / "docs" / "generated" / "notebooks-loop.md").read_text()
    assert loops == notebooks.loop_table(kept), REMAKE


def sample():
    """One notebook per framework, its post chosen by a hash of the framework's three files: the same for the same
    code, and any post as the code changes (`make docs-data` runs every notebook)."""
    chosen = []
    for framework in companion.FRAMEWORKS:
        files = [source for name, source in notebooks.sources() if name == framework]
        digest = hashlib.sha256(b"".join(source.read_bytes() for source in files)).digest()
        chosen.append((framework, files[digest[0] % len(files)]))
    return chosen


def test_a_notebook_per_framework_runs_as_it_was_made():
    # Two kernels at a time, the longest imports first (tests/schedule.py), so that the two finish together.
    order = imports_longest_first(framework for framework, _ in sample())
    chosen = sorted(((framework, source) for framework, source in sample() if not FRAMEWORKS[framework].missing()),
                    key=lambda pair: order.index(pair[0]))
    ran = notebooks.execute([(notebooks.make(source), framework) for framework, source in chosen])
    for (_, source), notebook in zip(chosen, ran, strict=True):
        kept = committed(source)
        assert [c.get("outputs") for c in notebook.cells] == [c.get("outputs") for c in kept.cells], source.name
