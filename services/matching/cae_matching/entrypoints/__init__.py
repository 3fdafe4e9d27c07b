"""Entrypoints: the nameko service class (thin HTTP routes and event handlers) and the CLI. (None yet.)"""
