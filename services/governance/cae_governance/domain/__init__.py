"""The pure domain of general assemblies: standard library only (and caekit.rules,
caekit.period, caekit.bounds).

* ``profiles``: the statute profiles (SCOP-SARL, SCOP-SA, SCIC), quorum and majority per
  decision kind and convocation, each with its source; per-cooperative overrides;
  SCIC colleges.
* ``electorate``: the associates fixed at the record date.
* ``proxies``: who may hold whose proxy, the caps of loi 78-763 art. 14, and which
  participation prevails when a giver takes part themselves.
* ``attendance``: present, remote, by post, represented, at the opening.
* ``quorum``: the quorum and its formula.
* ``tally``: the count and result of one resolution, with its formula.
* ``elections``: the count per candidate of an election of managers or board seats,
  the seats filled or left vacant, with its formula.
* ``convocation``: the convocation delay and the right to add resolutions.
"""
