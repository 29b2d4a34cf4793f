"""The blog's network, ported to Keras."""
import keras

# Adam with β₁, β₂ that float32 holds exactly (Keras on TensorFlow casts them through float32), and ε = 0
NETWORK = {"optimizer": "adam", "learning_rate": 0.1, "beta1": 0.5, "beta2": 0.875, "epsilon": 0.0}


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
    optimizer = keras.optimizers.Adam(learning_rate=learning_rate)
    model.compile(optimizer=optimizer, loss=HalfSumSquaredError(), metrics=[keras.metrics.MeanAbsoluteError()])
    history = model.fit(x, y, batch_size=len(x), epochs=epochs, shuffle=False, verbose=0)
    return {"loss": history.history["loss"], "mean_abs_error": history.history["mean_absolute_error"],
            "weights": model.get_weights(), "predictions": model.predict(x, verbose=0)}
