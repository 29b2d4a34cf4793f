"""Two hidden layers of tanh, biases from zero, binary cross-entropy, in Keras 3."""
import keras


def train(x, y, weights, epochs, learning_rate):
    keras.config.set_floatx("float64")
    model = keras.Sequential([keras.Input(shape=(3,)),
                              keras.layers.Dense(4, activation="tanh"),
                              keras.layers.Dense(4, activation="tanh"),
                              keras.layers.Dense(1, activation="sigmoid")])
    for layer, w in zip(model.layers, weights, strict=True):
        layer.kernel.assign(w)  # a Dense layer's bias starts at zero
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=learning_rate), loss=keras.losses.BinaryCrossentropy())
    history = model.fit(x, y, batch_size=len(x), epochs=epochs, shuffle=False, verbose=0)
    return history.history["loss"], model.predict(x, verbose=0)


if __name__ == "__main__":
    from companion.blog import EPOCHS, LEARNING_RATE, X, show, weights, y
    losses, predictions = train(X, y, weights(3, 4, 4, 1), EPOCHS, LEARNING_RATE)
    show(losses, predictions)
