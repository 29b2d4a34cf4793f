"""The blog's network, ported to Keras from torch's clip_grad_norm_(model.parameters(), 0.05)."""
import keras

NETWORK = {"clip_norm": 0.05, "clip": "global"}  # the gradients rescaled together to a norm of at most 0.05


class HalfSumSquaredError(keras.losses.Loss):  # the blog's ½·Σ(y − ŷ)²: Keras's own losses take means
    def __init__(self):
        super().__init__(reduction="sum")

    def call(self, y_true, y_pred):
        return 0.5 * keras.ops.square(y_true - y_pred)


def train(x, y, weights, epochs, learning_rate, dtype):
    keras.config.set_floatx(dtype)
    model = keras.Sequential([keras.Input(shape=(x.shape[1],))]
                             + [keras.layers.Dense(w.shape[1], activation="sigmoid", use_bias=False) for w in weights])
    model.set_weights(weights)  # a Dense kernel is (in, out), as the blog's
    optimizer = keras.optimizers.SGD(learning_rate=learning_rate, clipnorm=0.05)
    model.compile(optimizer=optimizer, loss=HalfSumSquaredError(), metrics=[keras.metrics.MeanAbsoluteError()])
    history = model.fit(x, y, batch_size=len(x), epochs=epochs, shuffle=False, verbose=0)
    return {"loss": history.history["loss"], "mean_abs_error": history.history["mean_absolute_error"],
            "weights": model.get_weights(), "predictions": model.predict(x, verbose=0)}
