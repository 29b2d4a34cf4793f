"""The blog's network in Keras 3: Sequential, compile, fit."""
import keras


class HalfSumSquaredError(keras.losses.Loss):
    """½·Σ(y − ŷ)² over the batch: Keras's own losses average over the rows."""

    def __init__(self):
        super().__init__(reduction="sum")

    def call(self, y_true, y_pred):
        return 0.5 * keras.ops.square(y_true - y_pred)


def train(x, y, weights, epochs, learning_rate):
    keras.config.set_floatx("float64")
    model = keras.Sequential([keras.Input(shape=(3,)),
                              keras.layers.Dense(4, activation="sigmoid", use_bias=False),
                              keras.layers.Dense(1, activation="sigmoid", use_bias=False)])
    for layer, w in zip(model.layers, weights, strict=True):
        layer.kernel.assign(w)
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=learning_rate), loss=HalfSumSquaredError())
    history = model.fit(x, y, batch_size=len(x), epochs=epochs, shuffle=False, verbose=0)
    return history.history["loss"], model.predict(x, verbose=0)


if __name__ == "__main__":
    from companion.blog import EPOCHS, LEARNING_RATE, X, show, weights, y
    losses, predictions = train(X, y, weights(3, 4, 1), EPOCHS, LEARNING_RATE)
    show(losses, predictions)
