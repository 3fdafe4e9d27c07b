"""The pure domain of matching: standard library only (and caekit.rules, caekit.period,
caekit.bounds).

* ``teams``: requirements and candidates of a call for tenders, the model of the weighted
  set cover a team proposal solves, the greedy team with its H(d) guarantee, the exact
  check of a team and which member covers which requirement, the requirements no team
  can cover.
"""
