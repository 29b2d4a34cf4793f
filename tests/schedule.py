"""The order a run names its frameworks in, for the tests' untimed runs with jobs 2: the runner starts the frameworks
after the reference in the order its Config names them, two at a time, so that the longest first and the shortest
last finish together (longest-processing-time-first scheduling), where the longest last would leave a core idle
while it finishes alone. Which frameworks run, and what each is compared with, is the same in any order."""

# The longest in a served run, longest first: torch-compile's compiling (when the network is new to it), Keras on JAX's
# compiling and Keras's fit, Flax's model, PyTensor's compiling, JAX's; the others take a second or less.
LONGEST = ("torch-compile", "keras-jax", "keras-xla", "keras", "flax", "pytensor", "jax-scan", "jax")


def longest_first(names):
    """names as a tuple, the reference (numpy) first where it is there, then those of LONGEST in its order, then the
    others in theirs."""
    names = tuple(names)
    rank = {name: i for i, name in enumerate(("numpy", *LONGEST))}
    return tuple(sorted(names, key=lambda name: rank.get(name, len(rank))))


# A framework's own fresh process (the companion files, their notebooks), two at a time: most of its time is the
# import, Keras's (TensorFlow's with it) the longest, then TensorFlow's.
IMPORTS_LONGEST = ("keras", "tensorflow")


def imports_longest_first(names):
    """names as a list, those of IMPORTS_LONGEST first in its order, then the others in theirs."""
    return sorted(names, key=lambda name: IMPORTS_LONGEST.index(name) if name in IMPORTS_LONGEST
                  else len(IMPORTS_LONGEST))
