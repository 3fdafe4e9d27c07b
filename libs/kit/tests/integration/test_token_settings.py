"""A service refuses to start with token settings that would fail every request."""

from __future__ import annotations

import pytest

from caekit.config import ConfigurationError
from libs.kit.tests.integration.probe import ProbeService


@pytest.mark.parametrize("overrides, named", [
    ({"production": True, "jwt_secret": ""}, "CAE_JWT_SECRET is empty"),
    ({"production": True, "jwt_secret": "weak"}, "at least 32"),
    ({"jwt_algorithm": "RS256", "jwt_public_key": None}, "needs CAE_JWT_PUBLIC_KEY"),
    ({"jwt_algorithm": "RS256", "jwt_public_key": "-----BEGIN PUBLIC KEY-----\nno\n"},
     "not an RSA public key"),
])
def test_the_service_does_not_start(start_service, overrides, named):
    with pytest.raises(ConfigurationError, match=named):
        start_service(ProbeService, wait_ready=False, **overrides)
