"""Install sweepkit: ``pip install -e .`` (add ``[test]`` for the test suite)."""

from setuptools import find_packages, setup

# Ranges tested together (see README, "Tested versions").
INSTALL_REQUIRES = [
    "wandb>=0.31.0,<0.32",
    "keras>=3.15.1,<3.16",
    "numpy>=2.0,<2.6",
    "click>=8.1,<9",
    "pyyaml>=6.0,<7",
    "scikit-learn>=1.5,<1.10",
    "scipy>=1.13,<2",
    "matplotlib>=3.8,<3.12",
]

setup(
    name="sweepkit",
    version="0.1.0",
    description="Hyperparameter sweeps of Keras models with Weights & Biases, online or offline.",
    package_dir={"": "plugin"},
    packages=find_packages("plugin"),
    python_requires=">=3.10",
    install_requires=INSTALL_REQUIRES,
    extras_require={
        # CPU machines (the default in the Makefile) and GPU boxes.
        "cpu": ["tensorflow-cpu>=2.21.0,<2.22"],
        "gpu": ["tensorflow[and-cuda]>=2.21.0,<2.22"],
        "test": [
            "pytest>=8,<10",
            # W&B's own engine, the reference sweepkit's semantics are checked against.
            "sweeps==0.2.0",
            "optuna>=4,<6",
        ],
    },
    entry_points={
        "console_scripts": ["sweepkit=sweepkit.cli:main"],
        "pytest11": ["sweepkit=sweepkit.testing.plugin"],
    },
)
