"""governance: general assemblies, the electorate, proxies, quorum and the tally of resolutions."""
