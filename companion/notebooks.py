"""Each companion file as a notebook a reader downloads and runs: docs/notebooks/<file>.ipynb, made from the file by
`make docs-data` (compare/docsdata.py) and never edited by hand.

A notebook holds all it needs: the file's code, then its helper (`blog.py`, or `loop_data.py` for a training loop:
the data, the weights and the printout that the file imports when run as a script), then the file's run. It is
executed in a fresh kernel of this Python, in an empty folder, and keeps what its cells print (the frameworks' logs
on stderr left out: they carry times and addresses).
"""
import ast
import asyncio
import os
import tempfile
import textwrap
from pathlib import Path

import nbformat
from jupyter_client import AsyncKernelManager
from jupyter_client.kernelspec import KernelSpecManager
from nbclient import NotebookClient

from companion import FRAMEWORKS, HERE, files
from compare.frameworks import FRAMEWORKS as REGISTRY

FOLDER = HERE.parent / "docs" / "notebooks"
KERNELSPEC = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}


KINDS = ("blog", "deep", "loop")  # a notebook per post: post 1's blog file, post 2's deep one, post 3's loop
HELPERS = {"blog": "blog", "deep": "blog", "loop": "loop_data"}  # the module each kind's run imports
SAYS = {
    "blog": ("The blog's data, its initial weights drawn as it draws them, and what the run prints "
             "(`companion/blog.py`, which the file imports when run as a script):",
             "The run: the loss at each iteration, then the predictions beside the targets."),
    "loop": ("The rows, split into training and validation, the blog's initial weights, each epoch's order of the "
             "rows and the run's settings, and what the run prints (`companion/loop_data.py`, which the file imports "
             "when run as a script):",
             "The run: each epoch's training loss, validation loss and validation mean |error|, then where it "
             "stopped."),
}


def kind(source):
    return Path(source).stem.rsplit("_", 1)[1]


def sources():
    """Every companion file a notebook is made from, by framework: (framework, path)."""
    return [(framework, path) for framework in FRAMEWORKS for path in (*files(framework), files(framework, "loop")[1])]


def path_of(source):
    return FOLDER / f"{Path(source).stem}.ipynb"


def parts(text):
    """A companion file's docstring, its code, and its run (the body of `if __name__ == "__main__":`, less its
    import of the helper, which the notebook holds)."""
    tree = ast.parse(text)
    lines = text.splitlines()
    docstring = ast.get_docstring(tree)
    run = next(node for node in tree.body if isinstance(node, ast.If)
               and ast.unparse(node.test) == "__name__ == '__main__'")
    code = "\n".join(lines[tree.body[0].end_lineno:run.lineno - 1]).strip()
    body = [node for node in run.body if not (isinstance(node, ast.ImportFrom | ast.Import)
                                              and "companion" in ast.unparse(node))]
    run_code = textwrap.dedent("\n".join(lines[body[0].lineno - 1:body[-1].end_lineno]))
    run_code = run_code.replace("loop_data.", "")  # the helper's names are the notebook's own
    return docstring, code, run_code


def helper(name="blog"):
    """The helper's code (blog.py or loop_data.py), without its docstring."""
    text = (HERE / f"{name}.py").read_text()
    return "\n".join(text.splitlines()[ast.parse(text).body[0].end_lineno:]).strip()


def make(source):
    """The notebook of one companion file, not yet run."""
    source = Path(source)
    docstring, code, run = parts(source.read_text())
    name = f"companion/{source.name}"
    cells = [
        nbformat.v4.new_markdown_cell(
            f"# `{name}`\n\n{docstring}\n\nMade from `{name}` by `make docs-data`, and run as it was made: edit the "
            f"file, not this notebook. In the repository the file runs as `python -m companion.{source.stem}`."),
        nbformat.v4.new_code_cell(code),
        nbformat.v4.new_markdown_cell(SAYS["loop" if kind(source) == "loop" else "blog"][0]),
        nbformat.v4.new_code_cell(helper(HELPERS[kind(source)])),
        nbformat.v4.new_markdown_cell(SAYS["loop" if kind(source) == "loop" else "blog"][1]),
        nbformat.v4.new_code_cell(run),
    ]
    for i, cell in enumerate(cells):
        cell.id = f"{source.stem}-{i}"  # the same ids each time it is made: a regenerated notebook differs only
        #                                  where its file or its outputs do
    return nbformat.v4.new_notebook(cells=cells, metadata={"kernelspec": KERNELSPEC,
                                                           "language_info": {"name": "python"}})


async def run(notebook, framework, timeout=600):
    """Run a notebook in a fresh kernel of this Python (never another one registered with Jupyter), in an empty
    folder: the notebook, its outputs kept (stdout, results and errors; stderr left out)."""
    with tempfile.TemporaryDirectory() as folder:
        # As the suite runs the framework (Keras's backend chosen before keras is imported); IPython's files kept
        # out of the home folder.
        env = {**os.environ, **REGISTRY[framework].env, "IPYTHONDIR": folder}
        env.pop("PYTHONPATH", None)  # the notebook holds all it needs
        # Its channels are files in that folder (ZeroMQ's ipc), not ports: nothing listens on the network.
        kernel = AsyncKernelManager(kernel_name="python3", kernel_spec_manager=KernelSpecManager(kernel_dirs=[]),
                                    transport="ipc", ip=os.path.join(folder, "kernel"),
                                    connection_file=os.path.join(folder, "kernel.json"))
        client = NotebookClient(notebook, km=kernel, timeout=timeout, record_timing=False,
                                resources={"metadata": {"path": folder}})
        await client.async_execute(env=env, cleanup_kc=True)  # shut down when done, though the manager is ours
    for cell in notebook.cells:
        if cell.cell_type == "code":
            cell.outputs = [out for out in cell.outputs if out.get("name") != "stderr"]
    notebook.metadata = {"kernelspec": KERNELSPEC, "language_info": {"name": "python"}}
    return notebook


def execute(pairs, at_once=2):
    """Run each (notebook, framework) of `pairs`, `at_once` kernels at a time: the notebooks, in order."""
    async def all_of_them():
        slots = asyncio.Semaphore(at_once)

        async def one(notebook, framework):
            async with slots:
                return await run(notebook, framework)

        return await asyncio.gather(*(one(notebook, framework) for notebook, framework in pairs))

    return asyncio.run(all_of_them())


def printed(notebook):
    """What a notebook's cells printed, all together."""
    return "".join(out.text for cell in notebook.cells if cell.cell_type == "code" for out in cell.outputs
                   if out.output_type == "stream")


def write(sources):
    """Make, run and write the notebook of each (framework, companion file) of `sources`: the notebooks, in order."""
    ran = execute([(make(source), framework) for framework, source in sources])
    FOLDER.mkdir(parents=True, exist_ok=True)
    for (_, source), notebook in zip(sources, ran, strict=True):
        nbformat.write(notebook, path_of(source))
    return ran


def loop_table(notebooks):
    """What the training loop's run printed in each notebook, a row per framework: the validation loss at the first
    epoch and at the last, and where it stopped."""
    rows = []
    for framework, notebook in notebooks.items():
        out = printed(notebook).splitlines()
        epochs = [line.split() for line in out if line.startswith("epoch")]
        rows.append(f"| {framework} | {epochs[0][5]} | {epochs[-1][5]} | {out[-1].split()[-1]} |")
    return "\n".join(["| framework | validation loss at epoch 1 | at the last epoch | stopped at epoch |",
                      "|---|---|---|---|", *rows]) + "\n"


def table(notebooks):
    """What the run printed in each notebook, a row per framework: the loss at the first and the last iteration, and
    the predictions; `notebooks` maps a framework to its notebook."""
    rows = []
    for framework, notebook in notebooks.items():
        out = printed(notebook).splitlines()
        end = out.index("prediction    target")
        last, loss = out[end - 1].split()
        predictions = ", ".join(line.split()[0] for line in out[end + 1:])
        rows.append(f"| {framework} | {out[1].split()[1]} | {loss} | {predictions} |")
    return "\n".join([f"| framework | loss at iteration 1 | at iteration {last} | predictions (targets 0, 0, 1, 1) |",
                      "|---|---|---|---|", *rows]) + "\n"
