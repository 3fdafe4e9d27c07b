"""Public event contracts of the CAE platform.

Every event is a CloudEvents 1.0 structured JSON envelope whose ``data`` has a
marshmallow schema registered here. External subscribers can install this
package alone to validate what they receive.
"""

# import the modules that register contracts
from cae_contracts import governance as _governance  # noqa: E402,F401
from cae_contracts import inbound as _inbound  # noqa: E402,F401
from cae_contracts import ledger as _ledger  # noqa: E402,F401
from cae_contracts import matching as _matching  # noqa: E402,F401
from cae_contracts import members as _members  # noqa: E402,F401
from cae_contracts import payroll as _payroll  # noqa: E402,F401
from cae_contracts.envelope import (
    SPECVERSION,
    CloudEventSchema,
    ContractViolation,
    Event,
    build_event,
    parse_event,
)
from cae_contracts.registry import (
    BATCH_CONTENT_TYPE,
    CONTENT_TYPE,
    CONTRACTS,
    EventContract,
    contract_for,
)

__all__ = [
    "BATCH_CONTENT_TYPE",
    "CONTENT_TYPE",
    "CONTRACTS",
    "SPECVERSION",
    "CloudEventSchema",
    "ContractViolation",
    "Event",
    "EventContract",
    "build_event",
    "contract_for",
    "parse_event",
]
