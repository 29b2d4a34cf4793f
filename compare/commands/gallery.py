"""The pitfalls gallery as the site's pages, from a run of every pair (pitfalls.json): an index with a card per
pitfall, and a page per pitfall that opens on its diff, then its two files, its figure, the suite's diagnosis of each
file, the threads where users met it and the files to download. `python -m compare.docsdata pitfalls` writes them
into docs/pitfalls/, beside the figures `python -m compare pitfalls` draws there.
"""
import os
import re
from pathlib import Path

from compare.commands import pitfalls

NOTICE = "<!-- Written by `python -m compare.docsdata pitfalls` from pitfalls/{name} and a run of it: do not edit. -->"
FILES = (("As ported", "as-ported", "as_ported.py"), ("Lined up", "lined-up", "lined_up.py"))


def thread(url):
    """'pytorch/pytorch#45735' for a GitHub issue or pull request, else the address itself."""
    found = re.fullmatch(r"https://github\.com/([^/]+/[^/]+)/(?:issues|pull)/(\d+)", url)
    return f"{found.group(1)}#{found.group(2)}" if found else url


def command(entry, source):
    """The run of the pitfall, as a reader types it from the repository's root."""
    options = pitfalls.flags({k: tuple(v) if isinstance(v, list) else v for k, v in entry["options"].items()})
    return (f"python -m compare run --frameworks numpy,./{source}/as_ported.py,./{source}/lined_up.py"
            + (f" {options}" if options else ""))


def verdicts(entry):
    """The suite's diagnosis of each file, in its own words, without the hint addressed to the files' author."""
    ported, lined = entry["as_ported"], entry["lined_up"]
    caught = f", caught at the {ported['quantity']}, epoch {ported['epoch']}" if ported["quantity"] else ""
    lines = [f"- **As ported: {ported['verdict']}**{caught}. {pitfalls.sentence(ported['diagnosis'])}"]
    if lined["max_abs_loss_diff"] is not None:
        lines.append(f"- **Lined up: {lined['verdict']}**: max \\|Δloss\\| {lined['max_abs_loss_diff']:.1e} over "
                     f"{len(lined['loss'])} epochs, within the tolerance {entry['tolerance']:.0e}."
                     + (f" {pitfalls.sentence(lined['diagnosis'])}" if lined["diagnosis"] else ""))
    else:
        lines.append(f"- **Lined up: {lined['verdict']}.** {pitfalls.sentence(lined['diagnosis'])}".rstrip())
    if not entry["ok"]:
        lines += ["", f"**Not as expected:** {entry['problem']}."]
    return lines


def page(entry, root):
    """docs/pitfalls/<name>.md: the page of one pitfall; root: the repository's root seen from the page."""
    name, source = entry["name"], f"pitfalls/{entry['name']}"
    folder = f"{root}/{source}"
    lines = [NOTICE.format(name=name), "", f"# {entry['title']}", "",
             f"```{{literalinclude}} {folder}/lined_up.py", f":diff: {folder}/as_ported.py", "```", "",
             f"{entry['framework']} · the suite names the **{entry['names']}** first · "
             f"{entry['lines_changed']} line{'s' if entry['lines_changed'] != 1 else ''} changed to line it up", "",
             entry["why"], "", "## The two files", "", "::::{tab-set}", ":sync-group: pitfall-file", ""]
    for label, key, file in FILES:
        lines += [f":::{{tab-item}} {label}", f":sync: {key}", "", f"```{{literalinclude}} {folder}/{file}",
                  ":language: python", "```", ":::", ""]
    lines += ["::::", "", "## What the default did", "",
              f"![The loss curves of numpy, the as-ported file and the lined-up file, and beneath them each file's "
              f"|Δloss| against numpy with the tolerance]({entry['figure']})", "",
              f"`{command(entry, source)}`" + pitfalls.starting(entry["options"].get("weights")), "",
              "## The suite's diagnosis", "", *verdicts(entry), "", "## Where users met it", "",
              *(f"- [{thread(url)}]({url})" for url in entry["threads"]), "", "## The files", "",
              " · ".join(f"{{download}}`{file} <{folder}/{file}>`"
                         for file in ("as_ported.py", "lined_up.py", "pitfall.toml")), ""]
    return "\n".join(lines)


def card(entry):
    """The pitfall's card on the index: its title, its framework, the quantity the suite names, its figure."""
    return [f":::{{grid-item-card}} {entry['title']}", f":link: {entry['name']}", ":link-type: doc",
            f":img-top: {entry['figure']}", f":img-alt: {entry['title']}: its loss curves and |Δloss|", "",
            f"{entry['framework']} · the suite names the **{entry['names']}** first", ":::", ""]


def index(data, held):
    """docs/pitfalls/index.md: what the gallery is, a card per pitfall, the table of the run, and the pages."""
    lines = ["<!-- Written by `python -m compare.docsdata pitfalls` from pitfalls/ and a run of every pair: do not "
             "edit. -->", "", "# The pitfalls gallery", "",
             "Each pitfall is a port of the blog's network with one framework's default left in (`as_ported.py`), "
             "beside the same file with the pitfall's lines changed and nothing else (`lined_up.py`), run against "
             "the reference as your own file would be. A pitfall holds when the suite FAILs the as-ported file at "
             "the quantity its `pitfall.toml` names and passes the lined-up one; `python -m compare pitfalls` runs "
             "them all. Each page opens on the diff, then shows the two files, what the default did to the loss, "
             "the suite's diagnosis of each file in its own words, and where users met it.", "",
             "The files define `train()` alone, so the diagnoses say what the suite could not observe in them; "
             "[your own code](../reference/own.md) says how a file lets it.", "",
             "::::{grid} 1 2 2 3", ":gutter: 3", "", *(line for entry in data["pitfalls"] for line in card(entry)),
             "::::", "", f"## The run ({held})", "", pitfalls.table(data, link="{name}.md"), "",
             "```{toctree}", ":hidden:", "", *(entry["name"] for entry in data["pitfalls"]), "```", ""]
    return "\n".join(lines)


def write(data, out, held):
    """index.md and a page per pitfall into `out` (docs/pitfalls), each replacing the earlier one in one rename; the
    pages and figures of pitfalls no longer in the gallery removed. held: what the run said of the gallery."""
    from compare.run import results

    out = Path(out)
    root = os.path.relpath(pitfalls.GALLERY.parent, out)  # the repository's root seen from the pages
    names = {entry["name"] for entry in data["pitfalls"]}
    for stale in [*out.glob("*.md"), *out.glob("*.png")]:
        if stale.stem not in names | {"index", "pitfalls"}:
            stale.unlink()
    for entry in data["pitfalls"]:
        results.write_text(str(out / f"{entry['name']}.md"), page(entry, root))
    results.write_text(str(out / "index.md"), index(data, held))
