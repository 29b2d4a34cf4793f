"""The exercise: `python -m compare exercise` writes starter.py.txt, a template beside this file, as the reader's
my_network.py to complete.

Here, for the tests and the README: the gaps filled in as the blog fills them, and four typical mistakes, each a
line of that solution written wrong, which the check must FAIL with the quantity named.
"""
from pathlib import Path

STARTER = (Path(__file__).parent / "starter.py.txt").read_text()  # a template, not a module to import

SOLUTION = {  # each gap: what fills it
    'raise NotImplementedError("TODO 1: l2_delta")': "l2_delta = (y - l2) * (l2 * (1 - l2))",
    'raise NotImplementedError("TODO 2: l1_delta")': "l1_delta = (l2_delta @ w1.T) * (l1 * (1 - l1))",
    'raise NotImplementedError("TODO 3: the update")':
        "weights = [w - learning_rate * g for w, g in zip(weights, gradients, strict=True)]",
}

MISTAKES = {  # name: {a line of the solution: the same line written wrong}
    "l1_delta without sigmoid'": {"l1_delta = (l2_delta @ w1.T) * (l1 * (1 - l1))": "l1_delta = l2_delta @ w1.T"},
    "the update's sign flipped": {"w - learning_rate * g": "w + learning_rate * g"},
    "the loss averaged instead of summed": {"loss.append(0.5 * np.sum(error**2))":
                                            "loss.append(0.5 * np.mean(error**2))"},
    "float32 arithmetic in a float64 run": {"weights = [np.array(w, dtype=dtype) for w in weights]":
                                            "weights = [np.array(w, dtype=np.float32) for w in weights]"},
}


def solved(mistakes=None):
    """The starter with its gaps filled in, then each of `mistakes` ({line: wrong line}) made."""
    text = STARTER
    for gap, line in SOLUTION.items():
        text = text.replace(gap, line)
    for line, wrong in (mistakes or {}).items():
        if line not in text:
            raise ValueError(f"the solution has no line {line!r}")
        text = text.replace(line, wrong)
    return text
