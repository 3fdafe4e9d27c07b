import pytest

from cae_members.domain.cooperatives import siren_is_valid


@pytest.mark.parametrize("siren", ["732829320", "552100554", "542051180", "356000000"])
def test_valid_sirens(siren):
    assert siren_is_valid(siren)


@pytest.mark.parametrize("siren", ["732829321", "123456789", "12345678", "1234567890", "73282932A", ""])
def test_invalid_sirens(siren):
    assert not siren_is_valid(siren)
