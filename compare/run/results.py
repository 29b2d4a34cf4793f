"""results.json: written whole or not at all, so an earlier result is never lost to a failed run."""
import json
import math
import os
import tempfile
from contextlib import contextmanager

from compare.errors import ProblemError

SCHEMA = 2        # results.json's: 2 since its steady state is timed in whole blocks (block_epochs per process)
BENCH_SCHEMA = 3  # bench.json's: 2 since its crossovers rest on ratios to NumPy timed in each framework's worker; 3
#                   since its cells are timed in whole blocks


def jsonable(value):
    """value with NumPy types made plain and non-finite floats made null (JSON has no NaN or infinity)."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if hasattr(value, "tolist"):  # NumPy arrays and scalars
        return jsonable(value.tolist())
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def prepare(out_dir, *names):
    """Make out_dir if needed and prove it writable, and each of the files `names` (with report.md) in it writable
    by a rename (absent, or a file), before any work is done; a ProblemError says why not."""
    try:
        os.makedirs(out_dir, exist_ok=True)
        with tempfile.TemporaryFile(dir=out_dir):
            pass
    except OSError as err:
        raise ProblemError(f"cannot write to --out '{out_dir}': {err.strerror or err}") from None
    for name in (*names, "report.md"):
        path = os.path.join(out_dir, name)
        if os.path.lexists(path) and not os.path.isfile(path):
            raise ProblemError(f"cannot write '{path}': it exists and is not a file")


@contextmanager
def replacing(path):
    """Yield a temporary path beside `path`; when the block succeeds, it replaces `path` in one rename."""
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".tmp-", suffix=os.path.splitext(path)[1])
    os.close(fd)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes it private; the result is an ordinary file
    try:
        yield tmp
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def write_json(path, data):
    """Write data to path atomically: a temporary file beside it, then one rename."""
    with replacing(path) as tmp, open(tmp, "w") as f:
        json.dump(jsonable(data), f, indent=1, allow_nan=False)
        f.write("\n")


def write_text(path, text):
    with replacing(path) as tmp, open(tmp, "w") as f:
        f.write(text)


def read_json(path):
    with open(path) as f:
        return json.load(f)


# The top-level fields a report reads, per file this suite writes.
FIELDS = {"results.json": ("schema", "config", "environment", "runs", "parity"),
          "bench.json": ("schema", "config", "frameworks", "crossovers")}


def read_document(path):
    """A results.json or bench.json as this version writes it; a ProblemError, in one line, for anything else (not
    JSON, cut short, another schema)."""
    try:
        data = read_json(path)
    except (OSError, UnicodeDecodeError, ValueError) as err:
        raise ProblemError(f"'{path}' is not readable JSON: {err}") from None
    name = os.path.basename(path)
    fields, schema = FIELDS[name], BENCH_SCHEMA if name == "bench.json" else SCHEMA
    if not isinstance(data, dict) or data.get("schema") != schema or not all(key in data for key in fields):
        raise ProblemError(f"'{path}' is not a {name} of schema {schema} (with "
                           f"{', '.join(fields)})")
    return data
