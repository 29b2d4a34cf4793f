"""Mutant: the Keras loss averaged over the batch, Keras's default, instead of summed."""
import keras

from impl_keras.network import HalfSumSquaredError, Network as Correct


class Network(Correct):
    def __init__(self, weights, learning_rate, dtype):
        super().__init__(weights, learning_rate, dtype)
        loss = HalfSumSquaredError()
        loss.reduction = "sum_over_batch_size"  # the bug
        self.model.compile(optimizer=keras.optimizers.SGD(learning_rate=learning_rate), loss=loss,
                           metrics=[keras.metrics.MeanAbsoluteError(name="mean_abs_error", dtype=dtype)])
