"""Use cases: one function per operation, taking a session (the unit of work); domain errors out, never HTTP, never nameko. (None yet.)"""
