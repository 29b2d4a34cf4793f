"""The blog's network in PyTorch: nn.Linear layers, autograd, and torch.optim (SGD for the blog's)."""
import numpy as np
import torch
from torch import nn

ACTIVATIONS = {"sigmoid": nn.Sigmoid, "tanh": nn.Tanh, "relu": nn.ReLU, "linear": nn.Identity}
LOSSES = {  # torch's own losses, each with the reduction the suite's definition needs
    "half-sse": lambda y_hat, y: 0.5 * nn.functional.mse_loss(y_hat, y, reduction="sum"),  # ½·Σ: torch would average
    "mse": nn.MSELoss(),
    "bce": nn.BCELoss(),
}

# torch's own normalization layers, each with every setting passed: ε, and batch normalization's momentum, which the
# suite writes as torch does (the running statistics move m of the way to each batch's). BatchNorm1d normalizes by the
# batch's biased variance and keeps the unbiased one in running_var, as the reference does; in eval() it normalizes by
# the running statistics.
NORMS = {
    "batch": lambda width, epsilon, momentum, dtype: nn.BatchNorm1d(width, eps=epsilon, momentum=momentum,
                                                                    dtype=dtype),
    "layer": lambda width, epsilon, momentum, dtype: nn.LayerNorm(width, eps=epsilon, dtype=dtype),
}

# torch.optim's own optimizers; every hyperparameter passed, none left to a default (h: the hyperparameters).
# weight_decay is torch.optim's coupled decay, λθ added to the gradient inside step; AdamW's is decoupled.
OPTIMIZERS = {
    "sgd": lambda params, lr, h: torch.optim.SGD(params, lr=lr, weight_decay=h["weight_decay"]),
    "momentum": lambda params, lr, h: torch.optim.SGD(params, lr=lr, momentum=h["momentum"],
                                                      weight_decay=h["weight_decay"]),
    "nesterov": lambda params, lr, h: torch.optim.SGD(params, lr=lr, momentum=h["momentum"], nesterov=True,
                                                      weight_decay=h["weight_decay"]),
    "rmsprop": lambda params, lr, h: torch.optim.RMSprop(params, lr=lr, alpha=h["rho"], eps=h["epsilon"],
                                                         weight_decay=h["weight_decay"], momentum=0, centered=False),
    "adam": lambda params, lr, h: torch.optim.Adam(params, lr=lr, betas=(h["beta1"], h["beta2"]), eps=h["epsilon"],
                                                   weight_decay=h["weight_decay"], amsgrad=False),
    "adamw": lambda params, lr, h: torch.optim.AdamW(params, lr=lr, betas=(h["beta1"], h["beta2"]), eps=h["epsilon"],
                                                     weight_decay=h["weight_decay"], amsgrad=False),
}

# torch.optim.lr_scheduler's schedules, stepped once per optimizer step (or per epoch): each multiplies the rate as
# it goes, to the suite's factor at t. Exponential γ^(t/k) is ExponentialLR's γ' per step with γ' = γ^(1/k); step
# γ^⌊t/k⌋ is StepLR; cosine is CosineAnnealingLR down to α·lr at t = k, where the suite's stays, and torch's rises
# again (declared in compare/frameworks.py).
SCHEDULES = {
    "exponential": lambda opt, lr, h: torch.optim.lr_scheduler.ExponentialLR(
        opt, gamma=h["decay_rate"] ** (1 / h["decay_steps"])),
    "step": lambda opt, lr, h: torch.optim.lr_scheduler.StepLR(opt, step_size=h["decay_steps"], gamma=h["decay_rate"]),
    "cosine": lambda opt, lr, h: torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=h["decay_steps"],
                                                                            eta_min=h["alpha"] * lr),
}


class Network:
    """Dense layers trained by full-batch gradient descent: by default the blog's, sigmoid layers without biases
    and ½·Σ(y − ŷ)²."""

    def __init__(self, weights, learning_rate, dtype, *, biases=None, activation="sigmoid",
                 output_activation="sigmoid", loss="half-sse", optimizer="sgd", momentum=0.9, rho=0.99, beta1=0.9,
                 beta2=0.999, epsilon=1e-8, batch_size=None, orders=None, weight_decay=0.0, decay="coupled", l2=0.0,
                 schedule=None, schedule_per="step", decay_rate=None, decay_steps=None, alpha=0.0, clip_norm=None,
                 clip="global", clip_value=None, norm=None, norm_momentum=0.1, norm_epsilon=1e-5, compile=False):
        self.dtype = getattr(torch, dtype)
        layers = []
        for i, w in enumerate(weights):
            last = i == len(weights) - 1
            linear = nn.Linear(*w.shape, bias=biases is not None, dtype=self.dtype)
            with torch.no_grad():
                # torch stores a Linear weight as (out, in) and computes x @ weight.T; the blog's are (in, out).
                linear.weight.copy_(torch.from_numpy(w.T))
                if biases is not None:
                    linear.bias.copy_(torch.from_numpy(biases[i]))
            layers.append(linear)
            if norm is not None and not last:  # after each hidden Linear, before its activation: γ·x̂ + β of its z
                layers.append(NORMS[norm](w.shape[1], norm_epsilon, norm_momentum, self.dtype))
            layers.append(ACTIVATIONS[output_activation if last else activation]())
        # Its parameters(), layer by layer: a Linear's weight and bias, then its normalization's γ and β; the
        # optimizer, weight decay, the L2 penalty and clipping take them all, as the reference takes every parameter.
        self.model = nn.Sequential(*layers)
        self.norm = norm
        self.linears = [layer for layer in self.model if isinstance(layer, nn.Linear)]
        self.norms = [layer for layer in self.model if isinstance(layer, (nn.BatchNorm1d, nn.LayerNorm))]
        self.forward = torch.compile(self.model) if compile else self.model  # compile: traced and fused on first call
        # Weight decay λ: coupled, torch.optim's weight_decay; decoupled, AdamW for Adam, and by hand beside the
        # others' step (torch.optim has no decoupled SGD or RMSprop).
        adamw = optimizer == "adam" and decay == "decoupled"
        self.decay_by_hand = weight_decay if decay == "decoupled" and not adamw else 0.0
        hyper = {"momentum": momentum, "rho": rho, "beta1": beta1, "beta2": beta2, "epsilon": epsilon,
                 "weight_decay": 0.0 if self.decay_by_hand else weight_decay}
        self.optimizer = OPTIMIZERS["adamw" if adamw else optimizer](self.model.parameters(), learning_rate, hyper)
        schedule_hyper = {"decay_rate": decay_rate, "decay_steps": decay_steps, "alpha": alpha}
        self.scheduler = None if schedule is None else SCHEDULES[schedule](self.optimizer, learning_rate,
                                                                           schedule_hyper)
        self.schedule_per = schedule_per
        self.l2, self.clip_norm, self.clip, self.clip_value = l2, clip_norm, clip, clip_value
        self.loss_fn = LOSSES[loss]
        # Mini-batches of batch_size rows (None: all), in row order or each epoch's order from `orders`.
        self.batch_size, self.orders, self.epochs_done = batch_size, orders, 0

    def fit(self, x, y, epochs):
        """Train for `epochs` epochs; each epoch's loss and mean |error| come from its steps' forward passes, before
        their updates (one step per mini-batch, their mean weighted by the rows in each; one step for the blog's)."""
        x, y = torch.from_numpy(x).to(self.dtype), torch.from_numpy(y).to(self.dtype)
        loss_curve, mean_abs_error, step_loss = [], [], []
        size = self.batch_size or len(x)
        whole = self.orders is None and size >= len(x)  # the blog's: every row, in order, one step
        for _ in range(epochs):
            batches = [(x, y)]
            if not whole:
                rows = np.arange(len(x)) if self.orders is None else self.orders[self.epochs_done % len(self.orders)]
                batches = [(x[b], y[b]) for b in (torch.from_numpy(rows[i:i + size]) for i in range(0, len(x), size))]
            steps = []
            for xb, yb in batches:
                self.optimizer.zero_grad()
                y_hat = self.forward(xb)
                loss = self.loss_fn(y_hat, yb)
                if self.l2:  # the L2 penalty is part of the loss: autograd adds its 2lθ to each gradient
                    loss = loss + self.l2 * sum(p.pow(2).sum() for p in self.model.parameters())
                loss.backward()
                self.clip_gradients()
                if self.decay_by_hand:  # θ −= lr·λ·θ before the step, as AdamW does: the gradient is the old θ's
                    with torch.no_grad():
                        for p in self.model.parameters():
                            p.mul_(1 - self.optimizer.param_groups[0]["lr"] * self.decay_by_hand)
                self.optimizer.step()
                if self.scheduler is not None and self.schedule_per == "step":
                    self.scheduler.step()  # after optimizer.step(), as torch asks: the next step's rate
                steps.append((loss.item(), (yb - y_hat).abs().mean().item(), len(xb)))
            if self.scheduler is not None and self.schedule_per == "epoch":
                self.scheduler.step()
            loss_curve.append(steps[0][0] if len(steps) == 1 else sum(n * s for s, _, n in steps) / len(x))
            mean_abs_error.append(steps[0][1] if len(steps) == 1 else sum(n * e for _, e, n in steps) / len(x))
            step_loss += [s for s, _, _ in steps]
            self.epochs_done += 1
        return {"loss": np.array(loss_curve), "mean_abs_error": np.array(mean_abs_error),
                "step_loss": np.array(step_loss)}

    def clip_gradients(self):
        """The gradients clipped in place: each entry to [−c, c], or rescaled to norm at most c, the norm of all of
        them together (global) or of each parameter's own (per-variable: clip_grad_norm_ on it alone)."""
        if self.clip_value is not None:
            nn.utils.clip_grad_value_(self.model.parameters(), self.clip_value)
        elif self.clip_norm is not None and self.clip == "global":
            nn.utils.clip_grad_norm_(self.model.parameters(), self.clip_norm)
        elif self.clip_norm is not None:
            for p in self.model.parameters():
                nn.utils.clip_grad_norm_(p, self.clip_norm)

    def get_weights(self):
        return [linear.weight.detach().numpy().T.copy() for linear in self.linears]  # back to (in, out)

    def get_biases(self):
        if self.linears[0].bias is None:
            return None
        return [linear.bias.detach().numpy().copy() for linear in self.linears]

    def get_normalization(self):
        """The normalization layers' γ ("scales": torch's weight), β ("offsets": its bias) and, for batch
        normalization, running statistics, a list of each over the hidden layers; None without them."""
        if self.norm is None:
            return None
        out = {"scales": [n.weight.detach().numpy().copy() for n in self.norms],
               "offsets": [n.bias.detach().numpy().copy() for n in self.norms]}
        if self.norm == "batch":
            out.update(running_means=[n.running_mean.numpy().copy() for n in self.norms],
                       running_variances=[n.running_var.numpy().copy() for n in self.norms])
        return out

    def predict(self, x):
        # eval(): batch normalization by its running statistics, inference mode; then train() again, the mode a
        # module starts in and fit trains in (by each batch's statistics, moving the running ones toward them).
        self.model.eval()
        with torch.no_grad():
            predictions = self.model(torch.from_numpy(x).to(self.dtype)).numpy()
        self.model.train()
        return predictions

    def __repr__(self):
        return f"Network({self.model}, torch, {self.dtype})"


def train(x, y, weights, epochs, learning_rate, dtype, **network):
    """Train from `weights`; return per-epoch loss and mean |error|, final weights (and biases) and predictions, as
    NumPy. network: the Network's keyword options (biases, activation, output_activation, loss, optimizer and its
    hyperparameters, weight decay, the L2 penalty, the schedule, clipping, the normalization layers)."""
    net = Network(weights, learning_rate, dtype, **network)
    history = net.fit(x, y, epochs)
    return {**history, "weights": net.get_weights(), "biases": net.get_biases(),
            "normalization": net.get_normalization(), "predictions": net.predict(x)}
