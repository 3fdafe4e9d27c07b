"""Pure rules of the portal: standard library only."""
