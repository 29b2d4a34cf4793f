"""Sphinx configuration of the companion site: `make docs` builds it into site/ (warnings are errors)."""
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # sphinx-argparse imports compare.cli to read its parser

project = "IDLI"
copyright = "2026, the IDLI authors"
html_title = "IDLI: one small network, many frameworks, the same numbers"
extensions = ["myst_parser", "sphinx_design", "sphinxarg.ext", "sphinx_copybutton"]
myst_enable_extensions = ["colon_fence"]
myst_heading_anchors = 3  # `page.md#a-heading` links, as GitHub makes them
source_suffix = {".md": "markdown"}
root_doc = "index"
exclude_patterns = ["generated/*", "pitfalls/pitfalls.md", "_build"]  # included into pages, not pages themselves
html_theme = "furo"
html_static_path = ["_static"]
html_css_files = ["diff.css"]  # a diff's added and removed lines coloured in the light theme too
html_show_sourcelink = False
html_copy_source = False
html_permalinks_icon = "#"
# Nothing is fetched at view time: no MathJax (the maths is written in Unicode), no web fonts (furo uses the
# system's); tests/docs/test_site.py scans every built page for what would leave the site.


def repository_paths(app, doctree, docname):
    """Sphinx's diffs (literalinclude's :diff:) name their two files by absolute path: name them from the
    repository's root instead, so that no page shows where it was built."""
    from docutils import nodes

    prefix = f"{ROOT}/"
    for block in doctree.findall(nodes.literal_block):
        if prefix in block.rawsource:
            block.rawsource = block.rawsource.replace(prefix, "")
            block.children = [nodes.Text(block.rawsource)]


def setup(app):
    app.connect("doctree-resolved", repository_paths)
