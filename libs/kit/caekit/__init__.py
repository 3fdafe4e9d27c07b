"""caekit: plumbing shared by every CAE service, and no domain rule.

Configuration, database sessions, the transactional outbox and its relay, the
inbox, reliable event handlers with retries and dead letters, tenancy and caller
context, JWT authentication, HTTP problem details, health, metrics, JSON logs and
pytest fixtures.
"""
