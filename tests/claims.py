"""What a diagnosis may claim: only the quantities its probe compared at that step, read back from the probe itself."""
import re

from compare.check import parity
from compare.report import summary

# What a message says of quantities without claiming them: what was not observed, and a loss's two suspects.
NOT_CLAIMS = re.compile(r"(the layers|the gradients)( themselves)?( and the gradients( themselves)?)? were not observed"
                        r"( \(add [^;]*\))?|: the forward pass or the loss formula")

# The words by which a message claims a kind of quantity, agreeing or differing.
CLAIMS = {"forward": ("the forward pass", "(the hidden layer)", "(the output, ŷ)", "(hidden layer "),
          "loss": ("the loss",),
          "gradient": ("the gradient",),
          "update": ("the updates", "the updated ", "'s step", "did not move")}


def observed(probe):
    """The kinds of quantity a probe compared, from what the framework's side of it holds."""
    side = probe["framework"]
    return {kind for kind, seen in (("forward", side.get("layers") is not None), ("loss", side.get("loss") is not None),
                                    ("gradient", side.get("gradients") is not None or parity.implied_rate(probe)),
                                    # an update that implies the gradient is compared as that gradient
                                    ("update", side.get("weights") is not None and not parity.implied_rate(probe)))
            if seen}


def assert_claims_only_what_was_observed(results):
    """Every framework's diagnosis names only kinds its probe at that epoch compared, and a note that counts the
    step-local checks counts only those that compared something."""
    for name, entry in results["parity"]["frameworks"].items():
        if entry.get("ok") is None:
            continue
        probes = results["runs"][name].get("probes", [])
        diagnosis = entry.get("diagnosis")
        if diagnosis:
            probe = next(p for p in probes if p["epoch"] == diagnosis["epoch"])
            seen = observed(probe)
            assert set(diagnosis["observed"]) == seen, (name, diagnosis["observed"], seen)
            assert {diagnosis["quantity"], *diagnosis["agreed"]} <= seen, (name, diagnosis)
            claims = NOT_CLAIMS.sub("", diagnosis["message"])
            for kind, words in CLAIMS.items():
                if kind not in seen:
                    assert not any(word in claims for word in words), (name, kind, diagnosis["message"])
        compared = [p for p in probes if observed(p)]
        for line in summary.notes(results):
            counted = re.search(r"all (\d+) step-local checks? agree", line)
            if line.startswith(f"{name}: ") and counted:
                assert int(counted.group(1)) == len(compared), (line, len(compared))
