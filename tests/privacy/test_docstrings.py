"""The Examples sections of the privacy modules run as doctests, so they cannot go stale."""

import doctest
import importlib

import pytest

MODULES = ["patterns", "detect", "pseudonymise", "masking", "scan", "suppression"]


@pytest.mark.parametrize("name", MODULES)
def test_examples_in_docstrings(name):
    module = importlib.import_module(f"evaluation.privacy.{name}")
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0


@pytest.mark.parametrize("name", MODULES)
def test_public_names_are_declared_and_exist(name):
    module = importlib.import_module(f"evaluation.privacy.{name}")
    assert module.__all__ and all(hasattr(module, n) for n in module.__all__)
