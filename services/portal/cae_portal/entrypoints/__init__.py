"""The portal's Flask application, its templates and static files, and its server."""
