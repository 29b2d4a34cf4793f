"""The blog's network in a TensorFlow training loop: tf.data batches in each epoch's given order, a GradientTape
step in tf.function, early stopping."""
import tensorflow as tf


def train(x, y, x_val, y_val, weights, orders, epochs, batch, learning_rate, patience, min_delta):
    x_val, y_val = tf.constant(x_val), tf.constant(y_val)
    w0, w1 = (tf.Variable(w) for w in weights)
    params = [w0, w1]

    def forward(x):
        return tf.sigmoid(tf.sigmoid(x @ w0) @ w1)

    def loss_fn(x, y):
        return 0.5 * tf.reduce_sum(tf.square(y - forward(x)))

    @tf.function
    def step(x, y):
        with tf.GradientTape() as tape:
            loss = loss_fn(x, y)
        for p, grad in zip(params, tape.gradient(loss, params), strict=True):
            p.assign_sub(learning_rate * grad)
        return loss

    history = {"loss": [], "val_loss": [], "val_mae": []}
    best, best_weights, wait = float("inf"), None, 0
    for order in orders[:epochs]:
        batches = tf.data.Dataset.from_tensor_slices((x[order], y[order])).batch(batch)
        losses = [step(x_batch, y_batch) for x_batch, y_batch in batches]
        val_loss = float(loss_fn(x_val, y_val))
        history["loss"].append(float(tf.reduce_mean(losses)))
        history["val_loss"].append(val_loss)
        history["val_mae"].append(float(tf.reduce_mean(tf.abs(y_val - forward(x_val)))))
        if val_loss + min_delta < best:  # an improvement, as keras.callbacks.EarlyStopping tests it
            best, best_weights, wait = val_loss, [p.numpy() for p in params], 0
        else:
            wait += 1
            if wait >= patience:
                break
    for p, w in zip(params, best_weights, strict=True):  # restore_best_weights=True: the best epoch's, not the last
        p.assign(w)
    return {**history, "stopped_at": len(history["loss"]), "predictions": forward(x_val).numpy()}


if __name__ == "__main__":
    from companion import loop_data
    loop_data.show(train(**loop_data.arguments()))
