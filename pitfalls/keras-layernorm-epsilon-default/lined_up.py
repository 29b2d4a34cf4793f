"""The blog's network, ported to Keras from torch's Linear → LayerNorm → Sigmoid."""
import keras

NETWORK = {"norm": "layer", "norm_epsilon": 1e-5}  # torch's nn.LayerNorm: ε 1e-5


class HalfSumSquaredError(keras.losses.Loss):  # the blog's ½·Σ(y − ŷ)²: Keras's own losses take means
    def __init__(self):
        super().__init__(reduction="sum")

    def call(self, y_true, y_pred):
        return 0.5 * keras.ops.square(y_true - y_pred)


def train(x, y, weights, epochs, learning_rate, dtype):
    keras.config.set_floatx(dtype)
    w0, w1 = weights
    hidden, output = keras.layers.Dense(w0.shape[1], use_bias=False), keras.layers.Dense(1, use_bias=False)
    norm = keras.layers.LayerNormalization(epsilon=1e-5)
    model = keras.Sequential([keras.Input(shape=(x.shape[1],)), hidden, norm, keras.layers.Activation("sigmoid"),
                              output, keras.layers.Activation("sigmoid")])
    hidden.set_weights([w0])  # a Dense kernel is (in, out), as the blog's
    output.set_weights([w1])
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=learning_rate), loss=HalfSumSquaredError(),
                  metrics=[keras.metrics.MeanAbsoluteError()])
    history = model.fit(x, y, batch_size=len(x), epochs=epochs, shuffle=False, verbose=0)
    gamma, beta = norm.get_weights()
    return {"loss": history.history["loss"], "mean_abs_error": history.history["mean_absolute_error"],
            "weights": [hidden.get_weights()[0], output.get_weights()[0]], "predictions": model.predict(x, verbose=0),
            "normalization": {"scales": [gamma], "offsets": [beta]}}
