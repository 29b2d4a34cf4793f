"""What a user changes to go from the blog's network to a deeper one, or to a real training loop.

Per framework, three files in its idiom: `<framework>_blog.py` (the blog's network), `<framework>_deep.py` (the
same written for two hidden layers of tanh with biases and cross-entropy) and `<framework>_loop.py` (the blog's
network trained as training loops are written: mini-batches in a given order each epoch, a validation split, early
stopping; its data and settings in loop_data.py). Each trains from given weights; tests check each against the
NumPy reference. Run as a script (`python -m companion.torch_blog`), each makes its run (from `blog.py`, or
`loop_data.py`) and prints it; `notebooks.py` makes a notebook of each blog and deep file and runs it. Here they are
only read, never imported, and each file is set against the blog's file of its own framework and their difference
counted in lines of code, the run at the end of each file left out (it is the same in all of them): for the loop,
that is what a user of that framework adds to the blog's training, so that what the framework already holds
(Keras's validation and EarlyStopping in `fit`) shows as lines saved.
"""
import ast
import difflib
import sys
from pathlib import Path

from companion import notices
from compare.report.source import code_line_numbers

if notices.run_with_tensorflow(sys.orig_argv):  # before the file imports TensorFlow: its notices left out
    notices.start()

HERE = Path(__file__).parent
FRAMEWORKS = ("numpy", "torch", "tensorflow", "pytensor", "jax", "flax", "keras")
KINDS = ("deep", "loop")  # the files set against each framework's `_blog.py`
DEEP = dict(hidden=(4, 4), activation="tanh", bias=True, loss="bce")  # what *_deep.py trains, as run options


def files(framework, kind="deep"):
    """The blog's file of `framework` and its `kind` file ("deep" or "loop")."""
    if kind not in KINDS:
        raise ValueError(f"unknown kind '{kind}' (choose from {', '.join(KINDS)})")
    return HERE / f"{framework}_blog.py", HERE / f"{framework}_{kind}.py"


def network_lines(text):
    """The line numbers of a file's code, less its `if __name__ == "__main__":` block (the run)."""
    run = next((node for node in ast.parse(text).body if isinstance(node, ast.If)
                and ast.unparse(node.test) == "__name__ == '__main__'"), None)
    return code_line_numbers(text) - (set() if run is None else set(range(run.lineno, run.end_lineno + 1)))


def changes(framework, kind="deep"):
    """The lines of code removed from the blog's file and added to make the `kind` one ("deep" or "loop"), each
    file's count of code lines (keyed "blog" and `kind`), and the unified diff."""
    blog, other = (path.read_text().splitlines() for path in files(framework, kind))
    blog_code, other_code = network_lines("\n".join(blog)), network_lines("\n".join(other))
    removed = added = 0
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, blog, other, autojunk=False).get_opcodes():
        if tag != "equal":
            removed += sum(i + 1 in blog_code for i in range(i1, i2))
            added += sum(j + 1 in other_code for j in range(j1, j2))
    diff = difflib.unified_diff(blog, other, f"{framework}_blog.py", f"{framework}_{kind}.py", lineterm="")
    return {"blog": len(blog_code), kind: len(other_code), "removed": removed, "added": added,
            "diff": "\n".join(diff)}
