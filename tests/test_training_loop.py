"""The training loop's options (weight decay, the L2 penalty, schedules, clipping, normalization layers) in the
reference, against a second reference written apart: torch's autograd for the gradient and each option's formula as
the Config documents it, step by step. The frameworks are held to impl_numpy by the parity tests; this holds
impl_numpy to the formulas."""
import math

import numpy as np
import pytest
import torch
from numpy.testing import assert_allclose

from compare.docsdata import LOOP_CASES
from compare.errors import ProblemError
from compare.problem import Config, dataset
from impl_numpy import network as numpy_network


def schedule_factor(config, t):
    k = config.decay_steps
    if config.schedule == "exponential":
        return config.decay_rate ** (t / k)
    if config.schedule == "step":
        return config.decay_rate ** math.floor(t / k)
    return config.alpha + (1 - config.alpha) * (1 + math.cos(math.pi * min(t, k) / k)) / 2


def normalized(z, config, gamma, beta, running, training=True):
    """γ·(z − μ)/√(σ² + ε) + β, μ and σ² over the rows (batch) or each row (layer); in training, batch
    normalization's running mean and unbiased variance move by the momentum toward the batch's."""
    if config.norm == "layer":
        mean, variance = z.mean(dim=1, keepdim=True), z.var(dim=1, unbiased=False, keepdim=True)
    elif training:
        mean, variance = z.mean(dim=0), z.var(dim=0, unbiased=False)
        with torch.no_grad():
            m = config.norm_momentum
            running["mean"] = (1 - m) * running["mean"] + m * mean
            running["variance"] = (1 - m) * running["variance"] + m * z.var(dim=0, unbiased=True)
    else:
        mean, variance = running["mean"], running["variance"]
    return gamma * (z - mean) / torch.sqrt(variance + config.norm_epsilon) + beta


def independent(config):
    """Per-epoch loss, the final parameters (weights, biases, then γ and β) and the predictions (batch normalization
    with its running statistics), from the formulas alone (sigmoid layers, half-sse or mse)."""
    x, y = (torch.from_numpy(a) for a in dataset(config.dataset))
    params = [torch.from_numpy(w).requires_grad_() for w in config.initial_weights()]
    params += [torch.from_numpy(b).requires_grad_() for b in config.initial_biases() or []]
    layers = len(config.sizes) - 1
    hidden = config.sizes[1:-1] if config.norm else []
    params += [torch.ones(n, dtype=torch.float64, requires_grad=True) for n in hidden]
    params += [torch.zeros(n, dtype=torch.float64, requires_grad=True) for n in hidden]
    gammas, betas = params[len(params) - 2 * len(hidden):len(params) - len(hidden)], params[len(params) - len(hidden):]
    running = [{"mean": torch.zeros(n, dtype=torch.float64), "variance": torch.ones(n, dtype=torch.float64)}
               for n in hidden]

    def forward(a, training=True):
        for i in range(layers):
            z = a @ params[i] + (params[layers + i] if config.bias else 0)
            if hidden and i < layers - 1:
                z = normalized(z, config, gammas[i], betas[i], running[i], training)
            a = torch.sigmoid(z)
        return a
    slots = [{"b": torch.zeros_like(p), "m": torch.zeros_like(p), "v": torch.zeros_like(p)} for p in params]
    orders, size, steps, losses = config.orders(), config.batch_size or len(x), 0, []
    for epoch in range(config.epochs):
        rows = torch.arange(len(x)) if orders is None else torch.from_numpy(orders[epoch])
        total = 0.0
        for start in range(0, len(x), size):
            xb, yb = x[rows[start:start + size]], y[rows[start:start + size]]
            a = forward(xb)
            loss = 0.5 * ((yb - a) ** 2).sum() if config.loss == "half-sse" else ((yb - a) ** 2).mean()
            loss = loss + config.l2 * sum((p**2).sum() for p in params)
            total += loss.item() * len(xb)
            grads = list(torch.autograd.grad(loss, params))
            if config.clip_value is not None:
                grads = [g.clamp(-config.clip_value, config.clip_value) for g in grads]
            if config.clip_norm is not None:
                if config.clip == "global":
                    norm = math.sqrt(sum((g**2).sum().item() for g in grads))
                    grads = [g * min(1.0, config.clip_norm / norm) for g in grads]
                else:
                    grads = [g * min(1.0, config.clip_norm / g.norm().item()) for g in grads]
            with torch.no_grad():
                if config.decay == "coupled":
                    grads = [g + config.weight_decay * p for g, p in zip(grads, params, strict=True)]
                clock = steps if config.schedule_per == "step" else epoch
                rate = config.learning_rate * (1 if config.schedule is None else schedule_factor(config, clock))
                steps += 1
                for p, g, s in zip(params, grads, slots, strict=True):
                    if config.optimizer == "sgd":
                        update = g
                    elif config.optimizer in ("momentum", "nesterov"):
                        s["b"] = config.momentum * s["b"] + g
                        update = s["b"] if config.optimizer == "momentum" else g + config.momentum * s["b"]
                    else:  # adam
                        s["m"] = config.beta1 * s["m"] + (1 - config.beta1) * g
                        s["v"] = config.beta2 * s["v"] + (1 - config.beta2) * g**2
                        m_hat, v_hat = s["m"] / (1 - config.beta1**steps), s["v"] / (1 - config.beta2**steps)
                        update = m_hat / (v_hat.sqrt() + config.epsilon)
                    decay = config.weight_decay * p if config.decay == "decoupled" else 0
                    p -= rate * (update + decay)
        losses.append(total / len(x))
    with torch.no_grad():
        predictions = forward(x, training=False).numpy()
    return np.array(losses), [p.detach().numpy() for p in params], predictions, running


@pytest.mark.parametrize("fields", LOOP_CASES.values(), ids=LOOP_CASES)
def test_the_reference_follows_each_formula(fields):
    config = Config(**fields)
    x, y = dataset(config.dataset)
    ran = numpy_network.train(x, y, config.initial_weights(), config.epochs, config.learning_rate, config.dtype,
                              biases=config.initial_biases(), orders=config.orders(), **config.network)
    losses, params, predictions, running = independent(config)
    tol = 1e-12 if config.dtype == "float64" else 1e-5  # the second reference computes at float64
    assert_allclose(ran["loss"], losses, rtol=0, atol=tol)
    norm = ran["normalization"] or {}
    for got, want in zip(ran["weights"] + (ran["biases"] or []) + norm.get("scales", []) + norm.get("offsets", []),
                         params, strict=True):
        assert_allclose(got, want, rtol=0, atol=tol)
    assert_allclose(ran["predictions"], predictions, rtol=0, atol=tol)
    assert ("running_means" in norm) == (config.norm == "batch") and bool(norm) == (config.norm is not None)
    if config.norm == "batch":
        for key, name in (("running_means", "mean"), ("running_variances", "variance")):
            for got, want in zip(norm[key], running, strict=True):
                assert_allclose(got, want[name], rtol=0, atol=tol)
    # The option did something: the run differs from the blog's loop without it, beyond any rounding.
    kept = ("optimizer", "momentum", "beta1", "beta2", "epsilon", "batch_size", "shuffle", "learning_rate", "bias",
            "loss", "dataset", "dtype")
    plain = {key: value for key, value in fields.items() if key in kept}
    base = Config(**plain)
    without = numpy_network.train(x, y, base.initial_weights(), base.epochs, base.learning_rate, base.dtype,
                                  biases=base.initial_biases(), orders=base.orders(), **base.network)
    assert np.max(np.abs(without["loss"] - ran["loss"])) > 1e-6


def test_clipping_clips():
    """Where a norm is below c the gradients pass unchanged; above it, they come out at norm c exactly."""
    grads = [np.array([[3.0, 4.0]]), np.array([0.0])]
    assert numpy_network.clip(grads, clip_norm=10.0)[0] is grads[0]
    clipped = numpy_network.clip(grads, clip_norm=1.0)
    assert_allclose(np.sqrt(sum((g**2).sum() for g in clipped)), 1.0, rtol=1e-15)
    per = numpy_network.clip([np.array([3.0, 4.0]), np.array([0.3, 0.4])], clip_norm=1.0, clip="per-variable")
    assert_allclose([np.linalg.norm(g) for g in per], [1.0, 0.5], rtol=1e-15)


@pytest.mark.parametrize("fields, message", [
    (dict(weight_decay=-0.1), "weight decay must be a number in [0, ∞)"),
    (dict(l2=float("nan")), "l2 must be a number"),
    (dict(clip_norm=-1.0), "clip norm must be a number in (0, ∞)"),
    (dict(clip_value=0.0), "clip value must be a number in (0, ∞)"),
    (dict(schedule="exponential", decay_steps=5), "the exponential schedule needs its decay rate (--decay-rate)"),
    (dict(schedule="cosine"), "the cosine schedule needs its decay steps"),
    (dict(decay_rate=0.5), "decay rate is read by the exponential and step schedules, not by a constant rate"),
    (dict(schedule="step", decay_rate=1.5, decay_steps=2), "decay rate must be a number in (0, 1]"),
    (dict(schedule="step", decay_rate=0.5, decay_steps=0), "decay steps must be a positive integer"),
    (dict(schedule_per="epoch"), "schedule per epoch needs a schedule"),
    (dict(clip_norm=1.0, clip_value=1.0), "clip by norm or by value, not both"),
    (dict(clip="per-variable"), "clip per-variable needs a norm"),
    (dict(decay="decoupled"), "decay decoupled needs a weight decay"),
    (dict(schedule="linear", decay_steps=2), "unknown schedule 'linear'"),
    (dict(norm="group"), "unknown norm 'group'"),
    (dict(norm="batch", batch_size=1), "--norm batch needs two rows or more in every batch: a batch size of 1"),
    (dict(norm="batch", batch_size=3), "leaves the last batch one row of the data's 4"),
    (dict(norm="batch", norm_momentum=0.0), "norm momentum must be a number in (0, 1]"),
    (dict(norm="layer", norm_epsilon=-1e-5), "norm epsilon must be a number in (0, ∞)"),
    (dict(norm="layer", norm_momentum=0.01), "--norm-momentum is read by batch normalization (--norm batch)"),
    (dict(norm_epsilon=1e-3), "--norm-epsilon is read by a normalization layer"),
])
def test_bad_training_loop_options_are_refused_in_one_line(fields, message):
    with pytest.raises(ProblemError) as err:
        Config(**fields)
    assert message in str(err.value) and "\n" not in str(err.value)
