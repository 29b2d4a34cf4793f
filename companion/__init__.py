"""What a user changes to go from the blog's network to two hidden layers of tanh with biases and cross-entropy.

Per framework, two files in its idiom: `<framework>_blog.py` (the blog's network) and `<framework>_deep.py` (the
same written for the deeper network). Both train from given weights and return the loss of each epoch and the final
predictions; tests check each against the NumPy reference. Run as a script (`python -m companion.torch_blog`), each
makes the blog's run from `blog.py` and prints it; `notebooks.py` makes a notebook of each and runs it. Here they are
only read, never imported, and their difference is counted in lines of code, the run at the end of each file left
out: it is the same in all of them.
"""
import ast
import difflib
from pathlib import Path

from compare.report.source import code_line_numbers

HERE = Path(__file__).parent
FRAMEWORKS = ("numpy", "torch", "tensorflow", "pytensor", "jax", "flax", "keras")
DEEP = dict(hidden=(4, 4), activation="tanh", bias=True, loss="bce")  # what *_deep.py trains, as run options


def files(framework):
    return HERE / f"{framework}_blog.py", HERE / f"{framework}_deep.py"


def network_lines(text):
    """The line numbers of a file's code, less its `if __name__ == "__main__":` block (the run)."""
    run = next((node for node in ast.parse(text).body if isinstance(node, ast.If)
                and ast.unparse(node.test) == "__name__ == '__main__'"), None)
    return code_line_numbers(text) - (set() if run is None else set(range(run.lineno, run.end_lineno + 1)))


def changes(framework):
    """The lines of code removed from the blog's file and added to make the deep one, and the unified diff."""
    blog, deep = (path.read_text().splitlines() for path in files(framework))
    blog_code, deep_code = network_lines("\n".join(blog)), network_lines("\n".join(deep))
    removed = added = 0
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, blog, deep, autojunk=False).get_opcodes():
        if tag != "equal":
            removed += sum(i + 1 in blog_code for i in range(i1, i2))
            added += sum(j + 1 in deep_code for j in range(j1, j2))
    diff = difflib.unified_diff(blog, deep, f"{framework}_blog.py", f"{framework}_deep.py", lineterm="")
    return {"blog": len(blog_code), "deep": len(deep_code), "removed": removed, "added": added,
            "diff": "\n".join(diff)}
