"""The blog's network with biases and an L2 penalty, ported to Keras."""
import keras
import numpy as np

# Biases, two rows a step in order, and the penalty l·Σθ² over every weight and bias, at an l that float32 holds
# (Keras on TensorFlow casts it through float32)
NETWORK = {"bias": True, "batch_size": 2, "l2": 0.015625}


class HalfSumSquaredError(keras.losses.Loss):  # the blog's ½·Σ(y − ŷ)²: Keras's own losses take means
    def __init__(self):
        super().__init__(reduction="sum")

    def call(self, y_true, y_pred):
        return 0.5 * keras.ops.square(y_true - y_pred)


def train(x, y, weights, epochs, learning_rate, dtype, biases=None):
    keras.config.set_floatx(dtype)
    biases = [np.zeros(w.shape[1]) for w in weights] if biases is None else biases  # zeros, as Dense starts them
    penalty = keras.regularizers.L2(0.015625)
    model = keras.Sequential([keras.Input(shape=(x.shape[1],))]
                             + [keras.layers.Dense(w.shape[1], activation="sigmoid", kernel_regularizer=penalty,
                                                   bias_regularizer=penalty) for w in weights])
    model.set_weights([p for w, b in zip(weights, biases, strict=True) for p in (w, b)])  # kernel (in, out), bias
    optimizer = keras.optimizers.SGD(learning_rate=learning_rate)
    model.compile(optimizer=optimizer, loss=HalfSumSquaredError(), metrics=[keras.metrics.MeanAbsoluteError()])
    history = model.fit(x, y, batch_size=2, epochs=epochs, shuffle=False, verbose=0)
    parameters = model.get_weights()
    return {"loss": history.history["loss"], "mean_abs_error": history.history["mean_absolute_error"],
            "weights": parameters[::2], "biases": parameters[1::2], "predictions": model.predict(x, verbose=0)}
