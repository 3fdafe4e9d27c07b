"""The portal's ties to the outside: the services' HTTP APIs, sessions, OIDC, catalogues."""
