"""The blog's network in a Keras 3 training loop: compile, and fit with validation data and an EarlyStopping
callback."""
import math

import keras


class HalfSumSquaredError(keras.losses.Loss):
    """½·Σ(y − ŷ)² over the batch: Keras's own losses average over the rows."""

    def __init__(self):
        super().__init__(reduction="sum")

    def call(self, y_true, y_pred):
        return 0.5 * keras.ops.square(y_true - y_pred)


def train(x, y, x_val, y_val, weights, orders, epochs, batch, learning_rate, patience, min_delta):
    keras.config.set_floatx("float64")
    model = keras.Sequential([keras.Input(shape=(3,)),
                              keras.layers.Dense(4, activation="sigmoid", use_bias=False),
                              keras.layers.Dense(1, activation="sigmoid", use_bias=False)])
    for layer, w in zip(model.layers, weights, strict=True):
        layer.kernel.assign(w)
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=learning_rate), loss=HalfSumSquaredError(),
                  metrics=["mae"])

    def batches():  # each epoch's rows in its given order: fit's own shuffle would draw another
        for order in orders:
            for i in range(0, len(x), batch):
                yield x[order[i:i + batch]], y[order[i:i + batch]]

    history = model.fit(batches(), steps_per_epoch=math.ceil(len(x) / batch), epochs=epochs, shuffle=False,
                        validation_data=(x_val, y_val), validation_batch_size=len(x_val),  # one batch, as the others
                        callbacks=[keras.callbacks.EarlyStopping(monitor="val_loss", min_delta=min_delta,
                                                                 patience=patience, restore_best_weights=True)],
                        verbose=0)
    return {**history.history, "stopped_at": len(history.epoch), "predictions": model.predict(x_val, verbose=0)}


if __name__ == "__main__":
    from companion import loop_data
    loop_data.show(train(**loop_data.arguments()))
