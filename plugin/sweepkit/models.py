"""The Keras model a sweep trains: an MLP whose depth, width and dropout are hyperparameters."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import keras


def build_mlp(input_dim: int, num_classes: int, *, layers: int, width: int, dropout: float) -> "keras.Model":
    """A multi-layer perceptron for classification.

    Args:
        input_dim: Features per sample (images are flattened).
        num_classes: Output classes (softmax).
        layers: Hidden Dense+ReLU layers; 0 gives a linear (softmax regression) model.
        width: Units per hidden layer.
        dropout: Dropout rate after each hidden layer (0 adds none).
    """
    import keras

    inputs = keras.Input(shape=(input_dim,), name="features")
    x = inputs
    for index in range(layers):
        x = keras.layers.Dense(width, activation="relu", name=f"dense_{index + 1}")(x)
        if dropout > 0:
            x = keras.layers.Dropout(dropout, name=f"dropout_{index + 1}")(x)
    outputs = keras.layers.Dense(num_classes, activation="softmax", name="classes")(x)
    return keras.Model(inputs, outputs, name=f"mlp_{layers}x{width}")
