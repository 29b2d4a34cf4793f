"""What a user changes to go from the blog's network to two hidden layers of tanh with biases and cross-entropy.

Per framework, two files in its idiom: `<framework>_blog.py` (the blog's network) and `<framework>_deep.py` (the
same written for the deeper network). Both train from given weights; tests check each against the NumPy reference.
Here they are only read, never imported, and their difference is counted in lines of code.
"""
import difflib
from pathlib import Path

from compare.report.source import code_line_numbers

HERE = Path(__file__).parent
FRAMEWORKS = ("numpy", "torch", "tensorflow", "pytensor", "jax", "flax", "keras")
DEEP = dict(hidden=(4, 4), activation="tanh", bias=True, loss="bce")  # what *_deep.py trains, as run options


def files(framework):
    return HERE / f"{framework}_blog.py", HERE / f"{framework}_deep.py"


def changes(framework):
    """The lines of code removed from the blog's file and added to make the deep one, and the unified diff."""
    blog, deep = (path.read_text().splitlines() for path in files(framework))
    blog_code, deep_code = code_line_numbers("\n".join(blog)), code_line_numbers("\n".join(deep))
    removed = added = 0
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, blog, deep, autojunk=False).get_opcodes():
        if tag != "equal":
            removed += sum(i + 1 in blog_code for i in range(i1, i2))
            added += sum(j + 1 in deep_code for j in range(j1, j2))
    diff = difflib.unified_diff(blog, deep, f"{framework}_blog.py", f"{framework}_deep.py", lineterm="")
    return {"blog": len(blog_code), "deep": len(deep_code), "removed": removed, "added": added,
            "diff": "\n".join(diff)}
