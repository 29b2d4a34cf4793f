"""The companion site as a reader meets it: built offline with warnings as errors, its framework tabs holding the
repository's own files and offering them and their notebooks for download, nothing fetched from outside the site, and,
in a real browser, tabs that switch together and hold from one page to the next, images that load, a notebook that
downloads and code that copies."""
import functools
import http.server
import json
import os
import re
import shutil
import subprocess
import sys
import threading
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlparse

import pytest

ROOT = Path(__file__).resolve().parents[2]
POSTS = ["post1", "post2", "post3"]
REFERENCE = ["verdicts", "network", "optimizers", "timing", "own", "cli", "results-json", "architecture"]
FRAMEWORKS = ["numpy", "torch", "tensorflow", "pytensor", "jax", "flax", "keras"]
# Where the browser test leaves its screenshots: results/ (ignored by git), or IDLI_TEST_OUTPUT.
OUTPUT = Path(os.environ.get("IDLI_TEST_OUTPUT", ROOT / "results" / "site-screenshots"))


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The site, built as `make docs` builds it: Sphinx, warnings as errors."""
    out = tmp_path_factory.mktemp("site")
    proc = subprocess.run([sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html",
                           str(ROOT / "docs"), str(out)], capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    return out


class Page(HTMLParser):
    """What a built page holds: the text of each <pre>, each tab label's sync group and id, every address of
    something the page loads (scripts, stylesheets and icons, images, media, frames) and of each download link."""

    LOADS = {"script": "src", "img": "src", "source": "src", "video": "src", "audio": "src", "iframe": "src",
             "embed": "src", "object": "data", "link": "href"}

    def __init__(self, text):
        super().__init__()
        self.pres, self.labels, self.loads, self.downloads, self._pre = [], [], [], [], None
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "pre":
            self._pre = []
        if tag == "label" and "data-sync-group" in attrs:
            self.labels.append((attrs["data-sync-group"], attrs.get("data-sync-id")))
        if tag in self.LOADS and attrs.get(self.LOADS[tag]):
            if tag != "link" or set((attrs.get("rel") or "").split()) & {"stylesheet", "icon", "preload",
                                                                          "prefetch", "modulepreload", "manifest"}:
                self.loads.append(attrs[self.LOADS[tag]])
        if tag == "a" and "download" in (attrs.get("class") or "").split():
            self.downloads.append(attrs["href"])
        if tag == "img" and attrs.get("srcset"):
            self.loads += [part.split()[0] for part in attrs["srcset"].split(",")]

    def handle_endtag(self, tag):
        if tag == "pre" and self._pre is not None:
            self.pres.append("".join(self._pre))
            self._pre = None

    def handle_data(self, data):
        if self._pre is not None:
            self._pre.append(data)


def leaves(address):
    """True for an address outside the site: a scheme (https:, data: is inside) or a host (//cdn…)."""
    parsed = urlparse(address)
    return bool(parsed.netloc) or parsed.scheme not in ("", "data")


def test_the_posts_and_the_reference_pages_are_built(site):
    for page in ["index", *POSTS, "reference/index", *(f"reference/{name}" for name in REFERENCE)]:
        assert (site / f"{page}.html").is_file(), page
    for name in ["index", *(p.name for p in (ROOT / "pitfalls").iterdir() if (p / "pitfall.toml").exists())]:
        assert (site / "pitfalls" / f"{name}.html").is_file(), name  # the gallery: its index and a page each


def test_the_framework_tabs_hold_the_repositorys_own_files(site):
    post1 = Page((site / "post1.html").read_text())
    pres = {text.strip() for text in post1.pres}
    for name in FRAMEWORKS:  # the blog's network in each framework, and the file the suite runs
        assert (ROOT / "companion" / f"{name}_blog.py").read_text().strip() in pres, name
        assert (ROOT / f"impl_{name}" / "network.py").read_text().strip() in pres, name
    assert [i for group, i in post1.labels if group == "framework"] == FRAMEWORKS * 2  # every set, every framework
    post2 = Page((site / "post2.html").read_text())
    diff = next(text for text in post2.pres if "torch_deep.py" in text)  # Sphinx's diff of the two files
    assert diff.startswith("--- companion/torch_blog.py\n+++ companion/torch_deep.py\n")
    pitfall = Page((site / "pitfalls" / "mse-is-a-mean.html").read_text())
    folder = ROOT / "pitfalls" / "mse-is-a-mean"
    pres = {text.strip() for text in pitfall.pres}
    assert {(folder / name).read_text().strip() for name in ("as_ported.py", "lined_up.py")} <= pres
    assert pitfall.pres[0].startswith("--- pitfalls/mse-is-a-mean/as_ported.py\n+++ pitfalls/mse-is-a-mean/lined_up.py\n")
    assert [i for group, i in pitfall.labels if group == "pitfall-file"] == ["as-ported", "lined-up"]


def test_each_tab_offers_its_file_and_the_files_notebook(site):
    for post, kind in (("post1", "blog"), ("post2", "deep")):
        downloads = Page((site / f"{post}.html").read_text()).downloads
        assert [Path(address).name for address in downloads] == [
            name for framework in FRAMEWORKS for name in (f"{framework}_{kind}.ipynb", f"{framework}_{kind}.py")]
        for address in downloads:  # each one a copy of the repository's file, in the site
            name = Path(address).name
            source = ROOT / ("docs/notebooks" if name.endswith(".ipynb") else "companion") / name
            assert (site / address).read_bytes() == source.read_bytes(), address


def test_nothing_on_the_site_is_fetched_from_outside_it(site):
    found = []
    for page in site.rglob("*.html"):
        found += [f"{page.relative_to(site)}: {address}" for address in Page(page.read_text()).loads
                  if leaves(address)]
    for sheet in site.rglob("*.css"):  # fonts and images a stylesheet pulls in
        for address in re.findall(r"""(?:url\(\s*['"]?|@import\s+['"])([^'")\s]+)""", sheet.read_text()):
            if leaves(address):
                found.append(f"{sheet.relative_to(site)}: {address}")
    assert not found, "\n".join(found)


def test_no_page_shows_where_the_site_was_built(site):
    assert not [page.name for page in site.rglob("*.html") if str(ROOT) in page.read_text()]


def test_the_scan_sees_what_would_leave_the_site():  # the check above can fail
    page = Page('<script src="https://cdn.example/x.js"></script><link rel="stylesheet" href="//fonts.example/a.css">'
                '<img src="_images/a.png"><a href="https://example.org/">a link, not a fetch</a>')
    assert [address for address in page.loads if leaves(address)] == ["https://cdn.example/x.js",
                                                                         "//fonts.example/a.css"]


@pytest.fixture(scope="module")
def served(site):
    """The built site on 127.0.0.1, on a free port, for the browser."""
    handler = functools.partial(Quiet, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def browser():
    """Debian's chromium, driven by Playwright (never `playwright install`, which downloads a browser)."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        pytest.skip("no chromium: install it with `apt-get install chromium` (Debian; .ci/run does) to run the "
                    "browser test")
    sync_api = pytest.importorskip("playwright.sync_api")
    profile = OUTPUT.parent / ".chromium-profile"
    shutil.rmtree(profile, ignore_errors=True)
    with sync_api.sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(profile), executable_path=chromium, headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                  "--no-first-run"])
        yield context
        context.close()
    shutil.rmtree(profile, ignore_errors=True)


def chosen(page, group="framework"):
    """The sync id shown by each tab set of `group` on the page, in order."""
    return page.evaluate("""group => [...document.querySelectorAll('.sd-tab-set')]
        .filter(set => set.querySelector(`label[data-sync-group="${group}"]`))
        .map(set => set.querySelector(':scope > input:checked + label').getAttribute('data-sync-id'))""", group)


def test_in_a_browser_the_tabs_switch_together_and_hold_and_nothing_leaves_the_machine(served, browser):
    outside = []

    def only_here(route):
        if urlparse(route.request.url).hostname != "127.0.0.1":
            outside.append(route.request.url)
            route.abort()
        else:
            route.continue_()

    browser.route("**/*", only_here)
    OUTPUT.mkdir(parents=True, exist_ok=True)
    page = browser.new_page()
    page.goto(f"{served}/post1.html", wait_until="load")
    assert set(chosen(page)) == {"numpy"} and len(chosen(page)) == 2
    page.locator('label[data-sync-id="torch"]').first.click()  # "PyTorch", in the first tab set
    assert chosen(page) == ["torch", "torch"]
    shown = page.locator(".sd-tab-content:visible").first
    assert shown.inner_text().strip().startswith('"""')
    assert shown.locator("button.copybtn").count() == 1  # sphinx-copybutton's, on the code block
    browser.grant_permissions(["clipboard-read", "clipboard-write"], origin=served)
    shown.locator("button.copybtn").click()
    assert page.evaluate("navigator.clipboard.readText()").strip() == (ROOT / "companion" / "torch_blog.py").read_text(
        ).strip()
    with page.expect_download() as download:
        shown.get_by_text("torch_blog.ipynb").click()
    notebook = json.loads(Path(download.value.path()).read_text())
    assert "import torch" in "".join(notebook["cells"][1]["source"])
    assert notebook["cells"][-1]["outputs"][0]["text"][0] == "iteration  loss\n"  # it comes with its run
    page.goto(f"{served}/post2.html", wait_until="load")
    assert chosen(page) == ["torch"]  # the choice holds on the next post's page
    for post in [*POSTS, "pitfalls/index", "pitfalls/mse-is-a-mean"]:  # the gallery's cards and pages: its figures
        page.goto(f"{served}/{post}.html", wait_until="load")
        widths = page.evaluate("[...document.images].map(image => [image.currentSrc, image.naturalWidth])")
        assert (widths or post == "post3") and all(width > 0 for _, width in widths), (post, widths)
        page.screenshot(path=str(OUTPUT / f"{post.replace('/', '-')}.png"), full_page=True)
    assert not outside, outside


def test_in_a_browser_no_post_scrolls_sideways_at_1280_and_the_scaling_figure_is_legible(served, browser):
    """At 1280 × 800 no element of a post's main content is wider than its column (a table, a code block, a figure),
    and the scaling figure's smallest labels are at least 9 px tall as displayed."""
    from compare.report import figures

    page, failures = browser.new_page(), []
    page.set_viewport_size({"width": 1280, "height": 800})
    for post in ["index", *POSTS, *(f"reference/{name}" for name in REFERENCE)]:
        page.goto(f"{served}/{post}.html", wait_until="load")
        wide = page.evaluate("""() => {  // the content column, with the margins the theme gives headings and tables
            const column = document.querySelector('.content').getBoundingClientRect();
            const wider = [...document.querySelectorAll('article *')]
                .filter(el => el.getClientRects().length)
                .filter(el => el.getBoundingClientRect().left < column.left - 1
                              || el.getBoundingClientRect().right > column.right + 1
                              || (['auto', 'scroll'].includes(getComputedStyle(el).overflowX)
                                  && el.scrollWidth > el.clientWidth + 1))
                .map(el => `${el.tagName}.${el.className} ${el.scrollWidth}px in ${column.width}px`);
            const page = document.documentElement;
            return page.scrollWidth > page.clientWidth ? [...wider, `the page: ${page.scrollWidth}px`] : wider;
        }""")
        failures += [(post, wide[:3])] if wide else []
    assert not failures, failures
    page.goto(f"{served}/post2.html", wait_until="load")
    scale = page.evaluate("""() => { const image = [...document.images].find(i => i.src.endsWith('scaling.png'));
                                     return image.clientWidth / image.naturalWidth }""")
    assert scale * figures.LABEL_PT * figures.DPI / 72 >= 9, scale
    page.close()


def test_the_home_page_and_the_readme_share_their_sections_and_the_posts_answers(site):
    """The home page takes its set-up and frameworks from the README itself (one source), and lists the posts with
    the start of each one's generated answer."""
    readme = (ROOT / "README.md").read_text()
    home = (site / "index.html").read_text()
    for section in ("two-commands", "frameworks"):
        shared = readme.split(f"<!-- {section} -->")[1].split(f"<!-- /{section} -->")[0]
        assert f":start-after: <!-- {section} -->" in (ROOT / "docs" / "index.md").read_text()
        words = re.findall(r"[A-Za-z]{6,}", shared)  # what the page shows of it, markup aside
        assert words and all(word in home for word in words), [w for w in words if w not in home][:5]
    for post in POSTS:
        assert f'href="{post}.html"' in home
        answer = (ROOT / "docs" / "generated" / f"{post}-answer.md").read_text()
        assert re.findall(r"[A-Za-z]{6,}", answer.split(".** ", 1)[1])[0] in home
