"""The problem definition: data, the blog's initial-weights recipe, weights files, configuration checks."""
import numpy as np
import pytest
from numpy.testing import assert_array_equal

from compare.errors import ProblemError
from compare.problem import Config, dataset, initial_weights, load_parameters, load_weights, save_weights


def test_datasets():
    x, y = dataset("blog")
    assert_array_equal(x, [[0, 0, 1], [0, 1, 1], [1, 0, 1], [1, 1, 1]])
    assert_array_equal(y, [[0], [0], [1], [1]])
    assert_array_equal(dataset("xor")[1], [[0], [1], [1], [0]])
    with pytest.raises(ProblemError, match="unknown dataset 'and'"):
        dataset("and")


def test_initial_weights_follow_the_blogs_recipe():
    """np.random.seed(1), then syn0 = 2*random((3,4)) - 1, then syn1 = 2*random((4,1)) - 1."""
    state = np.random.get_state()
    try:
        np.random.seed(1)
        syn0 = 2 * np.random.random((3, 4)) - 1
        syn1 = 2 * np.random.random((4, 1)) - 1
    finally:
        np.random.set_state(state)
    w0, w1 = initial_weights(1, [3, 4, 1])
    assert_array_equal(w0, syn0)
    assert_array_equal(w1, syn1)
    # the first row of syn0 as the classic published run prints it
    np.testing.assert_allclose(w0[0], [-0.16595599, 0.44064899, -0.99977125, -0.39533485], atol=5e-9)


def test_initial_weights_take_any_depth_and_width():
    weights = initial_weights(7, [3, 9, 5, 1])
    assert [w.shape for w in weights] == [(3, 9), (9, 5), (5, 1)]
    assert all(np.all((w >= -1) & (w < 1)) for w in weights)


def test_weights_file_round_trip(tmp_path):
    weights = initial_weights(3, [3, 6, 1])
    save_weights(tmp_path / "w.npz", weights)
    loaded = load_weights(tmp_path / "w.npz")
    assert len(loaded) == 2
    for a, b in zip(weights, loaded, strict=True):
        assert_array_equal(a, b)


def test_weights_file_in_numpys_default_names(tmp_path):
    weights = initial_weights(3, [3, 2, 1])
    np.savez(tmp_path / "w.npz", *weights)
    assert_array_equal(load_weights(tmp_path / "w.npz")[1], weights[1])


@pytest.mark.parametrize("arrays, message", [
    ({"w0": np.ones((2, 4)), "w1": np.ones((4, 1))}, r"w0 has shape \(2, 4\)"),
    ({"w0": np.ones((3, 4)), "w1": np.ones((5, 1))}, r"w1 has shape \(5, 1\)"),
    ({"w0": np.ones((3, 4)), "w1": np.ones((4, 2))}, "the last layer has 2 outputs"),
    ({"w0": np.ones((3, 4)), "w1": np.full((4, 1), np.nan)}, "w1 holds NaN"),
    ({"w0": np.ones(3)}, r"w0 has shape \(3,\)"),
    ({"a": np.ones((3, 1))}, "must hold arrays named w0"),
    ({"w0": np.array([["a"] * 4] * 3), "w1": np.ones((4, 1))}, "w0 has shape"),
    ({}, "holds no arrays"),
])
def test_bad_weights_files_are_refused(tmp_path, arrays, message):
    np.savez(tmp_path / "w.npz", **arrays)
    with pytest.raises(ProblemError, match=message):
        load_weights(tmp_path / "w.npz")


def test_weights_files_never_unpickle(tmp_path):
    np.savez(tmp_path / "w.npz", w0=np.array([{"a": 1}], dtype=object))
    with pytest.raises(ProblemError, match="not a readable .npz"):
        load_weights(tmp_path / "w.npz")


def test_unreadable_weights_files(tmp_path):
    (tmp_path / "text.npz").write_text("not a zip")
    with pytest.raises(ProblemError, match="is not a .npz file, or it is cut short"):
        load_weights(tmp_path / "text.npz")
    with pytest.raises(ProblemError, match="does not exist"):
        load_weights(tmp_path / "missing.npz")


@pytest.mark.parametrize("field, value, message", [
    ("epochs", 0, "epochs must be a positive integer"),
    ("hidden", -2, "hidden must be one or more positive integers"),
    ("hidden", (4, 0), "hidden must be one or more positive integers"),
    ("hidden", (), "hidden must be one or more positive integers"),
    ("activation", "swish", "unknown activation 'swish'"),
    ("output_activation", "relu", "unknown output activation 'relu'"),
    ("loss", "hinge", "unknown loss 'hinge'"),
    ("learning_rate", float("nan"), "learning rate must be a finite number"),
    ("learning_rate", float("inf"), "learning rate must be a finite number"),
    ("learning_rate", 0.0, "learning rate must be a finite number"),
    ("dtype", "float16", "unknown dtype 'float16'"),
    ("dataset", "and", "unknown dataset 'and'"),
    ("frameworks", (), "no framework"),
    ("optimizer", "adagrad", "unknown optimizer 'adagrad'"),
    ("batch_size", 0, "batch size must be an integer from 1"),
    ("hidden", (5000, 5000), "makes 25,020,000 weights"),
])
def test_config_refuses_bad_values(field, value, message):
    with pytest.raises(ProblemError, match=message):
        Config(**{field: value})


def test_config_defaults_are_the_blogs():
    config = Config()
    assert (config.dataset, config.hidden, config.seed, config.epochs, config.learning_rate, config.dtype) == (
        "blog", (4,), 1, 50, 1.0, "float64")
    assert config.sizes == [3, 4, 1] and config.activation == "sigmoid" and config.network == {}
    assert Config(hidden=(8, 8), activation="relu").sizes == [3, 8, 8, 1]
    assert Config(activation="tanh", loss="bce").network == {"activation": "tanh", "loss": "bce"}
    with pytest.raises(ProblemError, match="--loss bce needs outputs in"):
        Config(loss="bce", output_activation="linear")


def test_biases_round_trip_through_a_weights_file_and_bad_ones_are_refused(tmp_path):
    weights = Config(hidden=(3,)).initial_weights()
    biases = [np.arange(3.0), np.array([1.5])]
    save_weights(tmp_path / "wb.npz", weights, biases)
    loaded_weights, loaded_biases = load_parameters(tmp_path / "wb.npz")
    assert all(np.array_equal(a, b) for a, b in zip(loaded_weights + loaded_biases, weights + biases, strict=True))
    assert load_parameters(tmp_path / "wb.npz")[0][0].dtype == np.float64
    save_weights(tmp_path / "w.npz", weights)
    assert load_parameters(tmp_path / "w.npz")[1] is None
    assert Config(hidden=(3,), weights=str(tmp_path / "wb.npz"), bias=True).initial_biases()[1].tolist() == [1.5]
    assert [b.tolist() for b in Config(hidden=(3,), bias=True).initial_biases()] == [[0.0] * 3, [0.0]]
    assert Config(hidden=(3,)).initial_biases() is None
    np.savez(tmp_path / "one.npz", w0=weights[0], w1=weights[1], b0=biases[0])
    with pytest.raises(ProblemError, match="one bias per layer, b0 to b1"):
        load_parameters(tmp_path / "one.npz")
    np.savez(tmp_path / "shape.npz", w0=weights[0], w1=weights[1], b0=biases[0], b1=np.zeros(2))
    with pytest.raises(ProblemError, match=r"b1 has shape \(2,\)"):
        load_parameters(tmp_path / "shape.npz")
    np.savez(tmp_path / "nan.npz", w0=weights[0], w1=weights[1], b0=biases[0], b1=np.array([np.nan]))
    with pytest.raises(ProblemError, match="b1 holds NaN"):
        load_parameters(tmp_path / "nan.npz")
