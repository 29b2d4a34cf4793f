"""The blog's network, ported to Keras."""
import keras

# Two rows a step, in order; the rate lr·0.5^(t/20), t the optimizer steps taken before this one (γ = 0.5, which
# float32 holds: Keras on TensorFlow casts it through float32)
NETWORK = {"batch_size": 2, "schedule": "exponential", "schedule_per": "step", "decay_rate": 0.5, "decay_steps": 20}


class HalfSumSquaredError(keras.losses.Loss):  # the blog's ½·Σ(y − ŷ)²: Keras's own losses take means
    def __init__(self):
        super().__init__(reduction="sum")

    def call(self, y_true, y_pred):
        return 0.5 * keras.ops.square(y_true - y_pred)


def train(x, y, weights, epochs, learning_rate, dtype):
    keras.config.set_floatx(dtype)
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input(shape=(x.shape[1],))]
                             + [keras.layers.Dense(w.shape[1], activation="sigmoid", use_bias=False) for w in weights])
    model.set_weights(weights)  # a Dense kernel is (in, out), as the blog's
    # The first rate as a tensor of the run's dtype: from a Python float, Keras's schedules compute in float32
    first = keras.ops.convert_to_tensor(learning_rate, dtype)
    schedule = keras.optimizers.schedules.ExponentialDecay(first, decay_steps=20, decay_rate=0.5)
    optimizer = keras.optimizers.SGD(learning_rate=schedule)
    model.compile(optimizer=optimizer, loss=HalfSumSquaredError(), metrics=[keras.metrics.MeanAbsoluteError()])
    history = model.fit(x, y, batch_size=2, epochs=epochs, shuffle=False, verbose=0)
    return {"loss": history.history["loss"], "mean_abs_error": history.history["mean_absolute_error"],
            "weights": model.get_weights(), "predictions": model.predict(x, verbose=0)}
