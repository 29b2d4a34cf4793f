"""The blog's network in Keras 3: a Sequential of Dense layers, compile, and fit.

The backend (TensorFlow, JAX or PyTorch) is whatever KERAS_BACKEND names when keras is first imported.
"""
import keras
import numpy as np


class HalfSumSquaredError(keras.losses.Loss):
    """½·Σ(y − ŷ)² over the whole batch: Keras's own MeanSquaredError averages over the rows instead."""

    def __init__(self):
        super().__init__(name="half_sum_squared_error", reduction="sum")

    def call(self, y_true, y_pred):
        return 0.5 * keras.ops.square(y_true - y_pred)


# Keras's own losses where it has one; the blog's ½·Σ(y − ŷ)² is the class above.
LOSSES = {"half-sse": HalfSumSquaredError, "mse": keras.losses.MeanSquaredError,
          "bce": keras.losses.BinaryCrossentropy}

# keras.optimizers' own; every hyperparameter passed, none left to a default (h: the hyperparameters; loop: the
# training loop's weight decay and clipping, which every Keras optimizer takes).
OPTIMIZERS = {
    "sgd": lambda lr, h, loop: keras.optimizers.SGD(learning_rate=lr, momentum=0.0, nesterov=False, **loop),
    "momentum": lambda lr, h, loop: keras.optimizers.SGD(learning_rate=lr, momentum=h["momentum"], nesterov=False,
                                                         **loop),
    "nesterov": lambda lr, h, loop: keras.optimizers.SGD(learning_rate=lr, momentum=h["momentum"], nesterov=True,
                                                         **loop),
    "rmsprop": lambda lr, h, loop: keras.optimizers.RMSprop(learning_rate=lr, rho=h["rho"], momentum=0.0,
                                                            epsilon=h["epsilon"], centered=False, **loop),
    "adam": lambda lr, h, loop: keras.optimizers.Adam(learning_rate=lr, beta_1=h["beta1"], beta_2=h["beta2"],
                                                      epsilon=h["epsilon"], amsgrad=False, **loop),
}

# keras.optimizers.schedules' own (s: the schedule's parameters); the step schedule is exponential's staircase.
SCHEDULES = {
    "exponential": lambda lr, s: keras.optimizers.schedules.ExponentialDecay(
        lr, decay_steps=s["decay_steps"], decay_rate=s["decay_rate"], staircase=False),
    "step": lambda lr, s: keras.optimizers.schedules.ExponentialDecay(
        lr, decay_steps=s["decay_steps"], decay_rate=s["decay_rate"], staircase=True),
    "cosine": lambda lr, s: keras.optimizers.schedules.CosineDecay(
        lr, decay_steps=s["decay_steps"], alpha=s["alpha"], warmup_target=None, warmup_steps=0),
}

# keras.layers' normalization layers (m: the run's momentum, torch's convention; eps: ε; options: the dtype and the
# L2 penalty on γ and β). Keras's momentum is the share of the old running statistics kept, 1 − m; its ε defaults
# to 1e-3, so it is always passed.
NORMS = {
    "batch": lambda m, eps, options: keras.layers.BatchNormalization(momentum=1 - m, epsilon=eps, **options),
    "layer": lambda m, eps, options: keras.layers.LayerNormalization(epsilon=eps, **options),
}


class Network:
    """Dense layers trained by full-batch gradient descent: by default the blog's, sigmoid layers without biases
    and ½·Σ(y − ŷ)²."""

    def __init__(self, weights, learning_rate, dtype, *, biases=None, activation="sigmoid",
                 output_activation="sigmoid", loss="half-sse", optimizer="sgd", momentum=0.9, rho=0.99, beta1=0.9,
                 beta2=0.999, epsilon=1e-8, batch_size=None, orders=None, weight_decay=0.0, decay="coupled", l2=0.0,
                 schedule=None, schedule_per="step", decay_rate=None, decay_steps=None, alpha=0.0, clip_norm=None,
                 clip="global", clip_value=None, norm=None, norm_momentum=0.1, norm_epsilon=1e-5, jit_compile=False,
                 train_on_batch=False):
        # Keras keeps the learning rate and the loss tracker in floatx, float32 unless told: a float64 run needs it.
        keras.config.set_floatx(dtype)
        self.bias = biases is not None
        # Weight decay: Keras's optimizers decay decoupled only, θ −= lr·λ·θ beside the step. Coupled, λθ added to the
        # gradient, is the same maths for SGD without momentum; with the others it is what Keras users write for it,
        # an L2 penalty of λ/2·Σθ², whose gradient is λθ (its penalty then part of the loss that fit reports).
        coupled = weight_decay and decay == "coupled" and optimizer != "sgd"
        l2, weight_decay = (l2 + weight_decay / 2, 0.0) if coupled else (l2, weight_decay)
        # The L2 penalty l·Σθ² on every kernel and bias: Keras adds it to the loss that fit reports and differentiates.
        penalty = {"kernel_regularizer": keras.regularizers.L2(l2) if l2 else None,
                   "bias_regularizer": keras.regularizers.L2(l2) if l2 and self.bias else None}
        # A normalization layer, where asked for, between each hidden Dense layer's z and its activation: that Dense
        # layer then computes z alone, and an Activation layer follows the normalization. The L2 penalty covers their
        # γ and β too.
        self.norm, self.norms = norm, None
        if norm is not None:
            self.norms = [NORMS[norm](norm_momentum, norm_epsilon, {
                "dtype": dtype, "gamma_regularizer": keras.regularizers.L2(l2) if l2 else None,
                "beta_regularizer": keras.regularizers.L2(l2) if l2 else None}) for _ in weights[:-1]]
        hidden_activation = activation if norm is None else None
        self.dense = [keras.layers.Dense(w.shape[1], use_bias=self.bias, activation=hidden_activation, dtype=dtype,
                                         **penalty) for w in weights[:-1]]
        self.dense.append(keras.layers.Dense(weights[-1].shape[1], use_bias=self.bias, activation=output_activation,
                                             dtype=dtype, **penalty))
        layers = [keras.Input(shape=(weights[0].shape[0],), dtype=dtype)]
        for i, dense in enumerate(self.dense):
            layers.append(dense)
            if self.norms is not None and i < len(self.norms):
                layers += [self.norms[i], keras.layers.Activation(activation, dtype=dtype)]
        self.model = keras.Sequential(layers)
        # A Dense kernel is (in, out), as the blog's; with use_bias, each layer's weights are its kernel, then its bias.
        for dense, w, b in zip(self.dense, weights, biases or [None] * len(weights), strict=True):
            dense.set_weights([w, b] if self.bias else [w])
        # A schedule per optimizer step is the optimizer's learning rate, read at its iteration count; per epoch, the
        # LearningRateScheduler callback sets the rate at each epoch's start. A schedule computes in the dtype of its
        # first rate, which a Python float makes float32 on TensorFlow: the rate is given in the run's dtype.
        self.schedule, self.schedule_per = None, schedule_per
        if schedule is not None:
            self.schedule = SCHEDULES[schedule](np.dtype(dtype).type(learning_rate), {
                "decay_rate": decay_rate, "decay_steps": decay_steps, "alpha": alpha})
        rate = self.schedule if self.schedule is not None and schedule_per == "step" else learning_rate
        self.callbacks = ([keras.callbacks.LearningRateScheduler(lambda epoch, lr: float(self.schedule(epoch)))]
                          if self.schedule is not None and schedule_per == "epoch" else [])
        # The optimizer's own weight decay (decoupled; coupled for SGD, above) and clipping: of all gradients
        # together, of each variable's, or of each entry.
        loop = {"weight_decay": weight_decay or None, "clipvalue": clip_value,
                "global_clipnorm": clip_norm if clip == "global" else None,
                "clipnorm": clip_norm if clip == "per-variable" else None}
        self.model.compile(
            optimizer=OPTIMIZERS[optimizer](rate, {"momentum": momentum, "rho": rho, "beta1": beta1, "beta2": beta2,
                                                   "epsilon": epsilon}, loop),
            loss=LOSSES[loss](),
            metrics=[keras.metrics.MeanAbsoluteError(name="mean_abs_error", dtype=dtype)],
            jit_compile=jit_compile,  # True: the train step compiled by XLA
        )
        self.train_on_batch = train_on_batch
        # Mini-batches of batch_size rows (None: all), in row order or each epoch's order from `orders`.
        self.batch_size, self.orders, self.epochs_done = batch_size, orders, 0

    def fit(self, x, y, epochs):
        """Train for `epochs` epochs; each epoch's loss and mean |error| come from its steps' forward passes, before
        their updates (one step per mini-batch, their mean weighted by the rows in each, as fit's History reports
        them; one step for the blog's)."""
        size = self.batch_size or len(x)
        first, self.epochs_done = self.epochs_done, self.epochs_done + epochs
        orders = [None] * epochs if self.orders is None else [self.orders[e % len(self.orders)] for e in
                                                              range(first, first + epochs)]
        if self.train_on_batch:
            # One call per step, without fit's per-epoch machinery (callbacks, a new data iterator each epoch).
            out = {"loss": [], "mean_abs_error": [], "step_loss": []}
            for epoch, rows in enumerate(orders, start=first):
                if self.callbacks:  # no callbacks here: the rate the LearningRateScheduler would set, set by hand
                    self.model.optimizer.learning_rate = float(self.schedule(epoch))
                rows = np.arange(len(x)) if rows is None else rows
                logs = [self.model.train_on_batch(x[b], y[b], return_dict=True) | {"rows": len(b)}
                        for b in (rows[i:i + size] for i in range(0, len(x), size))]
                for key in ("loss", "mean_abs_error"):
                    out[key].append(logs[0][key] if len(logs) == 1 else
                                    sum(log["rows"] * log[key] for log in logs) / len(x))
                out["step_loss"] += [log["loss"] for log in logs]
            return {key: np.array(values) for key, values in out.items()}
        # fit counts epochs from initial_epoch, as the LearningRateScheduler reads them.
        if self.orders is None:
            histories = [self.model.fit(x, y, batch_size=size, epochs=first + epochs, initial_epoch=first,
                                        shuffle=False, callbacks=self.callbacks, verbose=0)]
        else:  # each epoch in its own order: fit's own shuffle would draw a different one
            histories = [self.model.fit(x[rows], y[rows], batch_size=size, epochs=epoch + 1, initial_epoch=epoch,
                                        shuffle=False, callbacks=self.callbacks, verbose=0)
                         for epoch, rows in enumerate(orders, start=first)]
        return {key: np.concatenate([h.history[key] for h in histories]) for key in ("loss", "mean_abs_error")}

    def get_weights(self):
        return [dense.kernel.numpy() for dense in self.dense]

    def get_biases(self):
        return [dense.bias.numpy() for dense in self.dense] if self.bias else None

    def get_normalization(self):
        """The normalization layers' γ ("scales"), β ("offsets") and, for batch normalization, running statistics, a
        list of each over the hidden layers; None without them."""
        if self.norms is None:
            return None
        out = {"scales": [n.gamma.numpy() for n in self.norms], "offsets": [n.beta.numpy() for n in self.norms]}
        if self.norm == "batch":
            out.update(running_means=[n.moving_mean.numpy() for n in self.norms],
                       running_variances=[n.moving_variance.numpy() for n in self.norms])
        return out

    def predict(self, x):  # batch normalization with its running statistics: inference mode
        return self.model.predict(x, batch_size=len(x), verbose=0)

    def __repr__(self):
        return f"Network({self.model.name}, keras on {keras.backend.backend()}, {keras.config.floatx()})"


def train(x, y, weights, epochs, learning_rate, dtype, **network):
    """Train from `weights`; return per-epoch loss and mean |error|, final weights (and biases) and predictions, as
    NumPy. network: the Network's keyword options (biases, activation, output_activation, loss, optimizer and its
    hyperparameters, weight decay, the L2 penalty, the schedule, clipping, the normalization layers)."""
    net = Network(weights, learning_rate, dtype, **network)
    history = net.fit(x, y, epochs)
    return {**history, "weights": net.get_weights(), "biases": net.get_biases(),
            "normalization": net.get_normalization(), "predictions": net.predict(x)}
