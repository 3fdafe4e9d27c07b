"""Every contract needs a sample in ``test_asyncapi.SAMPLES`` (the AsyncAPI and
compiled-schema tests run on it); the governance and matching services' samples live
beside their own tests, in ``test_governance_contracts`` and ``test_matching_contracts``,
and are merged here, before any test module of this directory is collected, whichever of
them is run."""

from .test_asyncapi import SAMPLES
from .test_governance_contracts import GOVERNANCE_SAMPLES
from .test_matching_contracts import MATCHING_SAMPLES

SAMPLES.update(GOVERNANCE_SAMPLES)
SAMPLES.update(MATCHING_SAMPLES)
