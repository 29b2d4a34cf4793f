"""Step-local checks: a framework takes single steps from the reference's own state, and says what it computed.

Two free-running curves can part for two reasons: different maths, or a rounding difference that large steps
amplify. One step from the same state tells them apart. At each probed epoch the reference's state (its weights
before that epoch's step) is replayed here with the reference implementation; then the reference and the framework
each take one step from it with their package's probe.py, which reports every layer's output, the loss, each
gradient and each updated weight. Correct maths agrees on all of them to within rounding, however far the
free-running curves have parted by then.
"""
import numpy as np

from compare.check.sensitivity import nudged

# Epochs probed between the first and the last, evenly spaced, besides where the curves part. A bug present from
# some epoch on is caught by the last; one that comes and goes, by the spread (README: "Step-local checks").
SPREAD = 10
# The training loop's options (compare.problem.Config.training_loop): where one is on, a step is more than
# −learning_rate × the loss's gradient, and no gradient can be read back from it.
LOOP = ("weight_decay", "l2", "schedule", "clip_norm", "clip_value")
# Adam and RMSprop divide a step by √v + ε, so a gradient that is 0 or tiny but for rounding can make a step of
# rounding's making. For them, each probe also takes the reference's step from its state nudged NUDGES times by up to
# sensitivity.ULPS ulps (each weight its own seeded count, as the curves' band nudges them): how far rounding alone
# moves each updated parameter there, and batch normalization's running statistics, which the steps of an epoch
# after its first take from updated weights.
ADAPTIVE = ("adam", "rmsprop")
NUDGES = 16
SPREAD_KEYS = ("weights", "biases", "scales", "offsets", "running_means", "running_variances")


def epochs(total, *partings):
    """The epochs to probe: the first, the last, SPREAD evenly between, and the two steps around each parting (None:
    the curves did not part at that tolerance)."""
    chosen = set(np.linspace(1, total, SPREAD + 2).round().astype(int).tolist())
    for parting in partings:
        if parting is not None:
            chosen |= {parting - 1, parting}
    return sorted(e for e in chosen if 1 <= e <= total)


def plain(quantities):
    """A probe's quantities as JSON: nested lists of floats (a probe's word on what it could not compare, text)."""
    return {key: value if value is None or isinstance(value, str) else
            [np.asarray(v, dtype=np.float64).tolist() for v in value] if isinstance(value, list) else float(value)
            for key, value in quantities.items()}


def spread(step, taken, state, dtype, rng):
    """Each updated parameter's largest |difference| from `taken`, the reference's step from `state`, elementwise,
    over NUDGES steps from `state` nudged by rounding's size: step(weights) is the reference's step from those."""
    out = {key: [np.zeros(np.shape(a)) for a in taken[key]] for key in SPREAD_KEYS if taken.get(key) is not None}
    with np.errstate(all="ignore"):
        for _ in range(NUDGES):
            other = step(nudged(state, dtype, rng))
            for key, worst in out.items():
                for i, (a, b) in enumerate(zip(other[key], taken[key], strict=True)):
                    worst[i] = np.fmax(worst[i], np.abs(np.asarray(a, np.float64) - np.asarray(b, np.float64)))
    return out


def take(framework, reference, weights, x, y, learning_rate, dtype, at, network=None, options=None,
         reference_loss=None):
    """One probe per epoch of `at`: {epoch, reference, framework}, each side what its probe's `step` returned.

    network: the Network options of the run (both sides; its biases, if any, are the initial ones, and each probe
    starts from the reference's biases at its epoch); options: the framework's variant options (its side).
    framework, reference: (implementation module, probe module). The reference's states are replayed from `weights`
    with its Network; `reference_loss`, its run's loss curve, tells whether the replay gave the very same bits
    (it should: one thread, the same code). Probing stops at a state that is no longer finite.

    The optimizer's state is part of the state a step starts from: past the first epoch, both sides get the
    reference's (its momentum b, its averages m and v, its step count t) from the reference probe's
    `optimizer_state`, and load it into their own optimizers; under a schedule, t (the steps done, and from it the
    epochs done) sets where the schedule stands, with any optimizer. With normalization layers, both sides get the
    reference's γ, β and running statistics (`normalization`), from the first epoch on.
    """
    (impl, probe), (ref_impl, ref_probe) = framework, reference
    network = network or {}
    net = ref_impl.Network(weights, learning_rate, dtype, **network)
    done, replayed, probes = 0, [], []
    steps_per_epoch = -(-len(x) // (network.get("batch_size") or len(x)))
    stateful = network.get("optimizer", "sgd") != "sgd" or network.get("schedule") is not None  # t: the rate's too
    for epoch in at:
        if epoch - 1 > done:
            replayed.append(net.fit(x, y, epoch - 1 - done)["loss"])
            done = epoch - 1
        state = net.get_weights()
        if network.get("biases") is not None:  # the biases are part of the state
            network = {**network, "biases": net.get_biases()}
        at_epoch = network if network.get("orders") is None else {**network, "orders": network["orders"][epoch - 1:]}
        normalization = net.get_normalization() if network.get("norm") else None  # so are γ, β, the statistics
        if normalization is not None:
            at_epoch = {**at_epoch, "normalization": normalization}
        slots = []
        if stateful and epoch > 1:
            at_epoch = {**at_epoch, "optimizer_state": ref_probe.optimizer_state(net, (epoch - 1) * steps_per_epoch)}
            slots = [a for p in at_epoch["optimizer_state"]["slots"] for a in p.values()]
        carried = [a for values in (normalization or {}).values() for a in values]
        if not all(np.isfinite(a).all() for a in state + (network.get("biases") or []) + slots + carried):
            break
        # The state the step starts from, and what it takes: where the framework's probe exposes no gradients, a
        # plain SGD step implies them (compare.check.parity.implied_rate). The reference's spread is taken before
        # the framework's step, so that nothing a framework does to the arrays it is handed can reach it.
        def reference_step(start, at_epoch=at_epoch):
            return ref_probe.step(ref_impl, start, x, y, learning_rate, dtype, **at_epoch)
        taken = reference_step(state)
        spread_at = None
        if network.get("optimizer") in ADAPTIVE:
            spread_at = plain(spread(reference_step, taken, state, dtype, np.random.default_rng(epoch)))
        probes.append({"epoch": epoch, "steps": steps_per_epoch, "optimizer": network.get("optimizer", "sgd"),
                       "training_loop": sorted(key for key in LOOP if key in network),
                       "learning_rate": float(learning_rate), "dtype": np.dtype(dtype).name,
                       "before": plain({"weights": state, "biases": network.get("biases"), **(normalization or {})}),
                       "reference": plain(taken),
                       "framework": plain(probe.step(impl, state, x, y, learning_rate, dtype, **at_epoch,
                                                     **(options or {}))),
                       **({} if spread_at is None else {"reference_spread": spread_at})})
    identical = None
    if reference_loss is not None:
        replayed = np.concatenate(replayed) if replayed else np.empty(0)
        identical = bool(np.array_equal(replayed, np.asarray(reference_loss, dtype=np.float64)[:len(replayed)]))
    return probes, identical
