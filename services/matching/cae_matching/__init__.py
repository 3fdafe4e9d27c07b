"""matching: skills, calls for tenders and the teams that answer them."""
