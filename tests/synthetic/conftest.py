"""Shared fixtures: the default district is generated once per session (about 3 s)."""

from __future__ import annotations

import pytest

from evaluation.synthetic import SynthConfig, generate_district, write_district

DEFAULT_SEED = 20241231


@pytest.fixture(scope="session")
def config() -> SynthConfig:
    return SynthConfig()


@pytest.fixture(scope="session")
def district():
    return generate_district(DEFAULT_SEED)


@pytest.fixture(scope="session")
def tables(district):
    return district.tables


@pytest.fixture(scope="session")
def written(district, tmp_path_factory):
    out = tmp_path_factory.mktemp("district_a")
    return out, write_district(district, out)
