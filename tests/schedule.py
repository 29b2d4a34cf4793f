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
