"""What a diagnosis may claim: only the quantities its probe compared at that step, read back from the probe itself."""
import math
import re
from fractions import Fraction

import numpy as np

from compare.check import parity
from compare.check.difference import fits
from compare.report import summary

# What a message says of quantities without claiming them: what was not observed, and a loss's two suspects.
NOT_CLAIMS = re.compile(r"(the layers|the gradients)( themselves)?( and the gradients( themselves)?)? were not observed"
                        r"|: the forward pass or the loss formula")

# The words by which a message claims a kind of quantity, agreeing or differing.
CLAIMS = {"forward": ("the forward pass", "(the hidden layer)", "(the output, ŷ)", "(hidden layer "),
          "loss": ("the loss",),
          "gradient": ("the gradient",),
          "update": ("the updates", "the updated ", "'s step", "did not move"),
          "statistics": ("the running statistics", "the running mean", "the running variance")}


def observed(probe):
    """The kinds of quantity a probe compared, from what the framework's side of it holds."""
    side = probe["framework"]
    return {kind for kind, seen in (("forward", side.get("layers") is not None), ("loss", side.get("loss") is not None),
                                    ("gradient", side.get("gradients") is not None or parity.implied_rate(probe)),
                                    # an update that implies the gradient is compared as that gradient
                                    ("update", side.get("weights") is not None and not parity.implied_rate(probe)),
                                    ("statistics", side.get("running_means") is not None))
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
            assert_rate_read_back(diagnosis, probe, results["parity"]["tolerance"])
            assert_cancelled_read_back(entry, diagnosis, probe, results["parity"]["tolerance"])
        compared = [p for p in probes if observed(p)]
        for line in summary.notes(results):
            counted = re.search(r"all (\d+) step-local checks? agree", line)
            if line.startswith(f"{name}: ") and counted:
                assert int(counted.group(1)) == len(compared), (line, len(compared))
            hidden = re.search(r"hidden state, from epoch (\d+): every step from the reference's state agrees, epoch "
                               r"(\d+)'s among them", line)
            if line.startswith(f"{name}: ") and hidden:
                # every step compared agrees, the one before the parting among them, and the curves part there
                parting, step = int(hidden.group(1)), int(hidden.group(2))
                assert diagnosis is None and entry["first_divergent_epoch"] == parting and step == parting - 1, line
                assert observed(next(p for p in probes if p["epoch"] == step)), line


def number(text):
    """A factor or rate as a message writes it: '2', '−1', '1/4', '0.5'."""
    return float(Fraction(text.replace("−", "-")))


def steps(probe, side):
    """Each weight matrix's step in a probe: its side's weights after the step less the weights before it."""
    return [np.asarray(after, dtype=np.float64) - np.asarray(start, dtype=np.float64)
            for after, start in zip(probe[side]["weights"], probe["before"]["weights"], strict=True)]


def assert_rate_read_back(diagnosis, probe, tol):
    """A message that says the step does not use the learning rate: the probe took the framework's step at rate 1
    too, from the same state, and got the same weights, at a run's rate other than 1; its step is the reference's
    at rate 1, times the factor the message names after it ("and then 2× the reference's at that rate")."""
    message = diagnosis["message"]
    moves = re.search(r"it moves as if the rate were (\S+) \(the same step at rate 1 as at", message)
    if not moves:
        return
    rate, framework = probe["learning_rate"], probe["framework"]
    assert rate != 1 and f"(the same step at rate 1 as at {rate:g})" in message, message
    layer = diagnosis["layer"]
    bias = diagnosis["parameter"] == "b"  # a bias's step: the weights' steps say nothing of it
    named = range(len(framework["weights"])) if "the step does not use" in message else [] if bias else [layer]
    for i in named:
        assert fits(framework["weights_at_rate_1"][i], framework["weights"][i], tol), (message, i)
    if bias:
        return
    then = re.search(r"and then (−?[\d/.]+)(×| of)", message)
    m = number(moves.group(1)) * (1.0 if then is None else number(then.group(1)))
    ours, theirs = steps(probe, "framework")[layer], steps(probe, "reference")[layer]
    # as the message writes it, m has six significant digits at most (a rate of its own: 0.001)
    assert np.allclose(ours, m * theirs / rate, rtol=1e-5, atol=tol), message


def assert_cancelled_read_back(entry, diagnosis, probe, tol):
    """A FAIL whose message says its curves, final weights and predictions agree: they do (bit for bit: every
    difference 0); "the updates agree": the probe compared the updates, and they agree; the rate that makes up for
    a factor: the run's, the framework's step the same at rate 1, and its gradient that factor × the reference's."""
    message = diagnosis["message"]
    agree = re.search(r"[Tt]he curves, the final weights and the predictions agree with the reference's (bit for bit|"
                      r"within \S+) all the same", message)
    if not agree:
        return
    assert entry["first_divergent_epoch"] is None, message
    differences = [value for key, value in entry.items() if key.startswith("max_abs_")]
    assert all(value == 0 for value in differences) if agree.group(1) == "bit for bit" else all(
        value <= tol for value in differences), message
    if "the updates agree" in message:
        pairs = zip(probe["framework"]["weights"], probe["reference"]["weights"], strict=True)
        assert "update" in observed(probe) and all(fits(ours, theirs, tol) for ours, theirs in pairs), message
    cancels = re.search(r"the rate of (\S+) makes up for the factor of (\S+?)\.?$", message)
    if cancels:
        rate, k = number(cancels.group(1)), number(cancels.group(2))
        assert math.isclose(rate, probe["learning_rate"], rel_tol=1e-5) and math.isclose(k, rate), message
        framework, reference = probe["framework"], probe["reference"]
        assert all(fits(a, b, tol) for a, b in zip(framework["weights_at_rate_1"], framework["weights"], strict=True))
        layer = diagnosis["layer"]
        assert fits(framework["gradients"][layer], k * np.asarray(reference["gradients"][layer]), tol), message
